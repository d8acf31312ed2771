using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class PriceCatalogTests
{
    static readonly PriceCatalog Catalog = PriceCatalog.Default;

    static string? Resolved(string? model) => Catalog.Resolve(model).Map(r => r.Name).IfNone("<none>");

    [Theory]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData("GPT-4o", "gpt-4o")]
    [InlineData("  gpt-4o  ", "gpt-4o")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini-search-preview-2025-03-11", "gpt-4o-mini")]
    [InlineData("gpt-4.1-2025-04-14", "gpt-4.1")]
    [InlineData("gpt-4.1-mini", "gpt-4.1-mini")]
    [InlineData("gpt-4-0613", "gpt-4")]
    [InlineData("gpt-4-turbo-2024-04-09", "gpt-4-turbo")]
    [InlineData("o1-2024-12-17", "o1")]
    [InlineData("o1-mini", "o1-mini")]
    [InlineData("o3-mini-2025-01-31", "o3-mini")]
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("claude-3-5-sonnet-20241022", "claude-3-5-sonnet")]
    [InlineData("claude-3-5-sonnet-latest", "claude-3-5-sonnet")]
    [InlineData("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet")]
    [InlineData("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet")]
    [InlineData("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet")]
    [InlineData("claude-sonnet-4-20250514", "claude-sonnet-4")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-opus-4-1-20250805", "claude-opus-4-1")]
    [InlineData("models/gemini-1.5-pro-002", "gemini-1.5-pro")]
    [InlineData("gemini-2.5-pro-preview-05-06", "gemini-2.5-pro")]
    [InlineData("gemini-2.5-flash-lite", "gemini-2.5-flash-lite")]
    [InlineData("mistral-large-latest", "mistral-large")]
    [InlineData("mistral-large-2411", "mistral-large")]
    [InlineData("codestral-2501", "codestral")]
    [InlineData("text-embedding-3-small", "text-embedding-3-small")]
    public void Reported_names_resolve_to_their_family(string reported, string expected) =>
        Assert.Equal(expected, Resolved(reported));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("my-local-llama")]
    [InlineData("gpt-5.9-nano")]          // an unknown minor version is not priced as a neighbour
    [InlineData("claude-opus-4-9")]       // an unknown version number is not priced as claude-opus-4
    [InlineData("gemini-1.5-flash-8b")]   // a segment starting with a digit is a different model
    [InlineData("gpt-4-32k")]
    public void Unknown_or_blank_names_are_not_priced(string? reported) =>
        Assert.True(Catalog.Find(reported).IsNone, $"{reported} resolved to {Resolved(reported)}");

    [Fact]
    public void Longest_family_prefix_wins()
    {
        var catalog = PriceCatalog.Empty("t").With("gpt-4o", new ModelPrice(2.5, 10)).With("gpt-4o-mini", new ModelPrice(0.15, 0.6));
        Assert.Equal("gpt-4o-mini", catalog.Resolve("gpt-4o-mini-audio").Map(r => r.Name).IfNone("<none>"));
        Assert.Equal("gpt-4o", catalog.Resolve("gpt-4o-audio").Map(r => r.Name).IfNone("<none>"));
    }

    [Fact]
    public void The_default_catalogue_is_dated_and_every_entry_names_its_source()
    {
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", Catalog.Version);
        Assert.True(Catalog.Count >= 30);
        foreach (var model in Catalog.Models)
        {
            var price = Catalog.Find(model).IfNone(() => throw new Xunit.Sdk.XunitException(model));
            Assert.StartsWith("https://", price.Source);
            Assert.Equal(Catalog.Version, price.AsOf);
        }
    }

    [Theory]
    [InlineData("gpt-4o", 2.50, 10.00, 1.25)]
    [InlineData("gpt-4o-mini", 0.15, 0.60, 0.075)]
    [InlineData("gpt-4.1-nano", 0.10, 0.40, 0.025)]
    [InlineData("o4-mini", 1.10, 4.40, 0.275)]
    [InlineData("claude-3-5-sonnet", 3.00, 15.00, 0.30)]
    [InlineData("claude-3-5-haiku", 0.80, 4.00, 0.08)]
    [InlineData("claude-3-opus", 15.00, 75.00, 1.50)]
    [InlineData("gemini-2.0-flash", 0.10, 0.40, 0.025)]
    [InlineData("mistral-small", 0.20, 0.60, 0.20)]
    [InlineData("text-embedding-3-large", 0.13, 0, 0.13)]
    public void Built_in_list_prices(string model, double input, double output, double cached)
    {
        var price = Catalog.Find(model).IfNone(() => throw new Xunit.Sdk.XunitException(model));
        Assert.Equal((input, output, cached), (price.Input, price.Output, price.CachedInput));
    }

    [Fact]
    public void Anthropic_cache_writes_cost_more_than_input()
    {
        var sonnet = Catalog.Find("claude-3-5-sonnet").IfNone(() => throw new Xunit.Sdk.XunitException("missing"));
        Assert.Equal(3.75, sonnet.CacheWrite);
        var haiku = Catalog.Find("claude-3-5-haiku").IfNone(() => throw new Xunit.Sdk.XunitException("missing"));
        Assert.Equal(1.00, haiku.CacheWrite);
    }

    [Fact]
    public void Missing_component_prices_fall_back_to_input_and_output()
    {
        var price = new ModelPrice(2, 8);
        Assert.Equal((2d, 2d, 8d), (price.CachedInput, price.CacheWrite, price.Reasoning));
        var explicitReasoning = new ModelPrice(2, 8, reasoning: 3);
        Assert.Equal(3d, explicitReasoning.Reasoning);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(1, double.NaN)]
    [InlineData(double.PositiveInfinity, 1)]
    [InlineData(1, ModelPrice.MaxPrice * 2)]
    public void Invalid_prices_are_rejected_where_they_are_configured(double input, double output) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPrice(input, output));

    [Fact]
    public void With_adds_or_overrides_without_changing_the_original()
    {
        var custom = Catalog.With("GPT-4o", new ModelPrice(1, 2)).With("my-finetune", new ModelPrice(5, 6));
        Assert.Equal(1d, custom.Find("gpt-4o-2024-08-06").Map(p => p.Input).IfNone(-1));
        Assert.Equal(5d, custom.Find("My-Finetune").Map(p => p.Input).IfNone(-1));
        Assert.Equal(Catalog.Count + 1, custom.Count);                              // GPT-4o replaced gpt-4o
        Assert.Equal(2.5d, Catalog.Find("gpt-4o").Map(p => p.Input).IfNone(-1));     // original untouched
        Assert.True(Catalog.Find("my-finetune").IsNone);
        Assert.Equal(Catalog.Version + PriceCatalog.CustomSuffix, custom.Version);  // suffix added once
        Assert.Equal("acme-2026-11", custom.WithVersion("acme-2026-11").Version);
    }

    [Fact]
    public void TryFind_is_the_plain_CSharp_lookup()
    {
        Assert.True(Catalog.TryFind("gpt-4o-2024-08-06", out var price));
        Assert.Equal(2.5, price!.Input);
        Assert.False(Catalog.TryFind("unknown-model", out var none));
        Assert.Null(none);
    }

    [Fact]
    public void With_rejects_a_blank_name() =>
        Assert.Throws<ArgumentException>(() => Catalog.With(" ", new ModelPrice(1, 1)));

    [Theory]
    [InlineData("claude-3-5-sonnet-20241022", "claude-3-5-sonnet")]
    [InlineData("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet")]
    [InlineData("GPT-4o-2024-08-06", "GPT-4o")]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData(null, "")]
    public void Family_strips_prefixes_and_release_markers_and_keeps_case(string? reported, string expected) =>
        Assert.Equal(expected, ModelNames.Family(reported));
}
