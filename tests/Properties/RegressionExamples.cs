using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>The shrunk counterexamples the properties found, kept as plain examples so they stay fixed.</summary>
public class RegressionExamples
{
    static readonly TraceId T = Ids.Trace(1);
    static readonly SpanId X = Ids.Span(1, 1);
    static readonly SpanId Y = Ids.Span(1, 2);
    static readonly DateTimeOffset At = Values.Epoch;

    [Fact]
    public void Restarting_an_ended_span_id_in_the_same_trace_is_rejected_as_a_duplicate()
    {
        // Before the fix the restart was accepted: the trace then held two spans with id X, and X -> Y -> X was a cycle.
        TraceEvent[] script =
        [
            new TraceStarted(T, "t", At),
            new SpanStarted(T, X, null, "x", SpanType.Agent, At),
            new SpanStarted(T, Y, X, "y", SpanType.Tool, At),
            new SpanEnded(T, X, At),
            new SpanStarted(T, X, Y, "x again", SpanType.Agent, At),
        ];
        var step = TraceReducer.Fold(script);
        var rejection = Assert.IsType<Output.Rejected>(step.Outputs.Last());
        Assert.Equal(RejectionReason.DuplicateSpan, rejection.Reason);
        Assert.Empty(Invariants.Violations(script));
    }

    [Fact]
    public void A_span_id_may_be_reused_by_another_trace()
    {
        var other = Ids.Trace(2);
        TraceEvent[] script =
        [
            new TraceStarted(T, "t", At), new TraceStarted(other, "u", At),
            new SpanStarted(T, X, null, "x", SpanType.Agent, At), new SpanEnded(T, X, At),
            new SpanStarted(other, X, null, "x", SpanType.Agent, At),
        ];
        Assert.IsType<Output.SpanStarted>(TraceReducer.Fold(script).Outputs.Last());
    }

    [Fact]
    public void Truncating_before_an_emoji_keeps_the_pair_whole()
    {
        // Cutting "😀😀…" at an odd length used to keep a lone high surrogate (sent as U+FFFD on the wire).
        var cut = Limits.Truncate("a" + string.Concat(Enumerable.Repeat("😀", 20)), Limits.TruncationMarker.Length + 2);
        Assert.Equal("a" + Limits.TruncationMarker, cut);
    }
}
