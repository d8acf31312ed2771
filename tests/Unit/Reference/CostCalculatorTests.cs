using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using PandaProbe.Model.Summary;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.ReferenceSystems;

public class CostCalculatorTests
{
    static Cost Price(string model, long prompt, long completion, params (string, long)[] extra) =>
        CostCalculator.Compute(PriceCatalog.Default, model, TokenUsage.Of(prompt, completion, extra))
            .IfNone(() => throw new Xunit.Sdk.XunitException($"{model} not priced"));

    static double Component(Cost cost, string key) => cost.Components.Find(key).IfNone(double.NaN);

    [Fact]
    public void A_trace_with_nothing_to_price_is_returned_as_is_and_a_priced_one_keeps_its_other_spans()
    {
        var now = DateTimeOffset.UnixEpoch;
        var trace = TraceId.New();
        Span Plain(string name) => new() { Id = SpanId.New(), Trace = trace, Name = name, StartedAt = now };
        var unpriced = new TraceRecord { Id = trace, Name = "t", StartedAt = now, Spans = Seq(Plain("a"), Plain("b")) };
        Assert.Same(unpriced, CostCalculator.Apply(PriceCatalog.Default, unpriced));

        var llm = Plain("llm") with { Model = "gpt-4o", Tokens = TokenUsage.Of(1_000, 100) };
        var mixed = unpriced with { Spans = Seq(Plain("a"), llm, Plain("c")) };
        var priced = CostCalculator.Apply(PriceCatalog.Default, mixed);
        Assert.NotSame(mixed, priced);
        Assert.Same(mixed.Spans[0], priced.Spans[0]);
        Assert.Same(mixed.Spans[2], priced.Spans[2]);
        Assert.True(priced.Spans[1].Cost is not null);
        Assert.Equal(mixed.Spans.Map(s => s.Id), priced.Spans.Map(s => s.Id));
    }

    [Fact]
    public void Spanforge_rollup_example_prices_to_its_figures()
    {
        var gpt = Price("gpt-4o", 100, 50);
        var claude = Price("claude-3-5-sonnet-20241022", 800, 400);

        Assert.Equal(0.00075, gpt.Total);
        Assert.Equal(0.0084, claude.Total);
        Assert.Equal("$0.0008", Money.Format(gpt.Total));
        Assert.Equal("$0.0084", Money.Format(claude.Total));
        Assert.Equal(0.00915, Money.Sum([gpt.Total, claude.Total]));
        Assert.Equal("$0.0092", Money.Format(Money.Sum([gpt.Total, claude.Total])));
    }

    [Fact]
    public void Components_are_input_and_output_and_only_the_non_zero_ones_appear()
    {
        var cost = Price("gpt-4o", 100, 50);
        Assert.Equal(0.00025, Component(cost, CostCalculator.InputKey));
        Assert.Equal(0.0005, Component(cost, CostCalculator.OutputKey));
        Assert.Equal(new[] { "input", "output", "total" }, cost.Components.Keys.ToArray());

        var embedding = Price("text-embedding-3-small", 1_000_000, 0);
        Assert.Equal(new[] { "input", "total" }, embedding.Components.Keys.ToArray());
        Assert.Equal(0.02, embedding.Total);
    }

    [Fact]
    public void Cached_prompt_tokens_are_priced_at_the_cached_price_and_taken_out_of_the_prompt()
    {
        // OpenAI: 1000 prompt tokens of which 400 were cache hits.
        var cost = Price("gpt-4o", 1000, 0, ("cache_read_tokens", 400));
        Assert.Equal(0.0015, Component(cost, CostCalculator.InputKey));        // 600 × 2.50 / 1M
        Assert.Equal(0.0005, Component(cost, CostCalculator.CacheReadKey));    // 400 × 1.25 / 1M
        Assert.Equal(0.002, cost.Total);
    }

    [Fact]
    public void Cache_writes_are_priced_at_the_cache_write_price()
    {
        var cost = Price("claude-3-5-sonnet", 10_000, 1000, ("cache_read_tokens", 6000), ("cache_creation_tokens", 2000));
        Assert.Equal(0.006, Component(cost, CostCalculator.InputKey));         // 2000 × 3 / 1M
        Assert.Equal(0.0018, Component(cost, CostCalculator.CacheReadKey));    // 6000 × 0.30 / 1M
        Assert.Equal(0.0075, Component(cost, CostCalculator.CacheWriteKey));   // 2000 × 3.75 / 1M
        Assert.Equal(0.015, Component(cost, CostCalculator.OutputKey));        // 1000 × 15 / 1M
        Assert.Equal(0.0303, cost.Total);
    }

    [Fact]
    public void Reasoning_tokens_are_part_of_completion_and_priced_separately()
    {
        var o1 = Price("o1", 0, 1000, ("reasoning_tokens", 800));
        Assert.Equal(0.012, Component(o1, CostCalculator.OutputKey));          // 200 × 60 / 1M
        Assert.Equal(0.048, Component(o1, CostCalculator.ReasoningKey));       // 800 × 60 / 1M
        Assert.Equal(0.06, o1.Total);                                          // same as 1000 output tokens

        var cheapThinking = PriceCatalog.Empty("t").With("m", new ModelPrice(0, 10, reasoning: 1));
        var cost = CostCalculator.Compute(cheapThinking, "m", TokenUsage.Of(0, 1000, [("reasoning_tokens", 800L)])).IfNone(Cost.Of(-1));
        Assert.Equal(0.0028, cost.Total);                                      // 200 × 10 + 800 × 1, per 1M
    }

    [Fact]
    public void Cached_counts_larger_than_the_prompt_leave_no_negative_input()
    {
        var cost = Price("claude-3-5-sonnet", 100, 0, ("cache_read_tokens", 1000));
        Assert.True(cost.Components.Find(CostCalculator.InputKey).IsNone);
        Assert.Equal(0.0003, cost.Total);
    }

    [Fact]
    public void Negative_counts_count_as_zero()
    {
        var cost = Price("gpt-4o", -100, -5, ("cache_read_tokens", -7), ("reasoning_tokens", -1));
        Assert.Equal(0d, cost.Total);
        Assert.Equal(new[] { "total" }, cost.Components.Keys.ToArray());
    }

    [Fact]
    public void Unknown_models_and_missing_arguments_give_no_cost()
    {
        var usage = TokenUsage.Of(10, 10);
        Assert.True(CostCalculator.Compute(PriceCatalog.Default, "no-such-model", usage).IsNone);
        Assert.True(CostCalculator.Compute(PriceCatalog.Default, null, usage).IsNone);
        Assert.True(CostCalculator.Compute(PriceCatalog.Default, "gpt-4o", null).IsNone);
        Assert.True(CostCalculator.Compute(null, "gpt-4o", usage).IsNone);
    }

    [Fact]
    public void A_user_override_changes_the_price()
    {
        var catalog = PriceCatalog.Default.With("gpt-4o", new ModelPrice(1, 1));
        var cost = CostCalculator.Compute(catalog, "gpt-4o-2024-08-06", TokenUsage.Of(1_000_000, 1_000_000)).IfNone(Cost.Of(-1));
        Assert.Equal(2d, cost.Total);
    }

    [Fact]
    public void Apply_prices_a_span_and_records_the_catalogue_in_metadata()
    {
        var span = RefData.LlmSpan(TraceId.New(), "gpt-4o-2024-08-06", 100, 50);
        var priced = CostCalculator.Apply(PriceCatalog.Default, span);

        Assert.Equal(0.00075, (priced.Cost?.Total ?? -1));
        Assert.Equal("catalog", priced.Metadata.Find("cost_source").Map(p => p.Value).IfNone(""));
        Assert.Equal(PriceCatalog.Default.Version, priced.Metadata.Find("cost_catalog_version").Map(p => p.Value).IfNone(""));
        Assert.Equal("gpt-4o", priced.Metadata.Find("cost_catalog_model").Map(p => p.Value).IfNone(""));
    }

    [Fact]
    public void An_explicit_cost_wins_over_the_catalogue()
    {
        var span = RefData.LlmSpan(TraceId.New(), "gpt-4o", 100, 50, cost: Cost.Of(1.5));
        var after = CostCalculator.Apply(PriceCatalog.Default, span);
        Assert.Same(span, after);
    }

    [Fact]
    public void Spans_without_model_or_tokens_or_with_unknown_models_are_left_alone()
    {
        var trace = TraceId.New();
        var noTokens = RefData.LlmSpan(trace, "gpt-4o", 1, 1) with { Tokens = null };
        var noModel = RefData.LlmSpan(trace, "gpt-4o", 1, 1) with { Model = null };
        var unknown = RefData.LlmSpan(trace, "home-made", 1, 1);
        Assert.Same(noTokens, CostCalculator.Apply(PriceCatalog.Default, noTokens));
        Assert.Same(noModel, CostCalculator.Apply(PriceCatalog.Default, noModel));
        Assert.Same(unknown, CostCalculator.Apply(PriceCatalog.Default, unknown));
        Assert.Same(unknown, CostCalculator.Apply((PriceCatalog?)null, unknown));
    }

    [Theory]
    [InlineData(0.00075, 4, "$0.0008")]
    [InlineData(0.00915, 4, "$0.0092")]
    [InlineData(0.0084, 4, "$0.0084")]
    [InlineData(0, 4, "$0.0000")]
    [InlineData(12.3456, 2, "$12.35")]
    [InlineData(-0.5, 2, "-$0.50")]
    public void Money_formats_half_away_from_zero(double usd, int decimals, string expected) =>
        Assert.Equal(expected, Money.Format(usd, decimals));
}
