using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Enrichment;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Delivery;

/// <summary>The export side fits inputs and outputs to a budget per span and per trace, visibly, and reports it.</summary>
public class PayloadBudgetTests
{
    static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static Span SpanWith(TraceId trace, int inputChars, int outputChars) => new()
    {
        Id = SpanId.New(), Trace = trace, Name = "s", Kind = SpanKind.Tool, StartedAt = T0, EndedAt = T0,
        Input = Payload.Text(new string('i', inputChars)), Output = Payload.Text(new string('o', outputChars)),
    };

    static Trace TraceWith(params Func<TraceId, Span>[] spans)
    {
        var id = TraceId.New();
        return new Trace { Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Spans = spans.Select(s => s(id)).ToSeq().Strict() };
    }

    static long Chars(Trace t) => t.Spans.Sum(s => (long)((s.Input?.Value.Length ?? 0) + (s.Output?.Value.Length ?? 0)));

    [Fact]
    public void A_trace_within_the_budgets_is_the_same_trace()
    {
        var trace = TraceWith(id => SpanWith(id, 1000, 1000));
        var enriched = Enricher.LimitsOnly.Trace(trace);
        Assert.Same(trace, enriched.Value);
        Assert.True(enriched.Adjustments.IsEmpty);
    }

    [Fact]
    public void A_span_over_its_budget_keeps_its_share_of_each_value_with_a_marker()
    {
        var trace = TraceWith(id => SpanWith(id, 3 << 20, 3 << 20), id => SpanWith(id, 10, 10));
        var enriched = Enricher.LimitsOnly.Trace(trace);

        var big = enriched.Value.Spans[0];
        Assert.Equal(Limits.MaxSpanPayloadChars / 2, (big.Input?.Value.Length ?? 0));
        Assert.EndsWith(Limits.TruncationMarker, (big.Output?.Value ?? ""));
        Assert.Equal(trace.Spans[1], enriched.Value.Spans[1]);
        Assert.Contains(enriched.Adjustments, a => a.Contains("per span", StringComparison.Ordinal));
    }

    [Fact]
    public void A_trace_over_its_budget_is_cut_to_it()
    {
        var spans = Enumerable.Range(0, 12).Select(_ => (Func<TraceId, Span>)(id => SpanWith(id, 1 << 20, 1 << 20))).ToArray();
        var trace = TraceWith(spans);
        Assert.True(Chars(trace) > Limits.MaxTracePayloadChars);

        var enriched = Enricher.LimitsOnly.Trace(trace).Value;

        Assert.True(Chars(enriched) <= Limits.MaxTracePayloadChars);
        Assert.All(enriched.Spans, s => Assert.EndsWith(Limits.TruncationMarker, (s.Input?.Value ?? "")));
    }

    [Fact]
    public void A_late_span_over_its_budget_is_cut_too()
    {
        var span = SpanWith(TraceId.New(), 5 << 20, 1);
        var enriched = Enricher.LimitsOnly.Span(span);
        Assert.Equal(Limits.MaxSpanPayloadChars / 2, (enriched.Value.Input?.Value.Length ?? 0));
        Assert.Equal(span.Output, enriched.Value.Output);
        Assert.False(enriched.Adjustments.IsEmpty);
    }
}
