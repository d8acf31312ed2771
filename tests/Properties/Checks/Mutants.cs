using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties.Checks;

/// <summary>
/// Deliberately broken reducers, each wrapping the real one with one plausible bug. The claims must catch every one
/// of them (see <c>ClaimsCanFail</c>); a claim that passes against its mutant could not fail at all.
/// </summary>
internal static class Mutants
{
    static readonly Reducer Real = Folding.Real;

    /// <summary>Emits every <see cref="Output.TraceCompleted"/> twice.</summary>
    public static Reducer CompletesTwice { get; } = (s, e) =>
    {
        var step = Real(s, e);
        return step with { Outputs = step.Outputs.Bind(o => o is Output.TraceCompleted ? Seq(o, o) : Seq1(o)).Strict() };
    };

    /// <summary>Forgets every open trace when it rejects an event.</summary>
    public static Reducer RejectionClearsState { get; } = (s, e) =>
    {
        var step = Real(s, e);
        return step.Outputs.Exists(o => o is Output.Rejected) ? step with { State = TraceState.Empty } : step;
    };

    /// <summary>Never emits late spans (the state still drops them).</summary>
    public static Reducer DropsLateSpans { get; } = (s, e) =>
    {
        var step = Real(s, e);
        return step with { Outputs = step.Outputs.Filter(o => o is not Output.SpanCompleted { AfterTrace: true }).Strict() };
    };

    /// <summary>Keeps a span's first token usage instead of the last.</summary>
    public static Reducer FirstTokensWin { get; } = (s, e) =>
        e is TokensSet t && s.Find(t.Trace).Bind(o => o.OpenSpans.Find(t.Span)).Exists(span => span.State.Value.Tokens is not null)
            ? new Step(s, Seq<Output>())
            : Real(s, e);

    /// <summary>Ignores metadata merges.</summary>
    public static Reducer IgnoresMetadataMerges { get; } = (s, e) =>
        e is MetadataMerged ? new Step(s, Seq<Output>()) : Real(s, e);

    /// <summary>Ignores errors (so errored spans and traces end OK / COMPLETED).</summary>
    public static Reducer IgnoresErrors { get; } = (s, e) =>
        e is Errored ? new Step(s, Seq<Output>()) : Real(s, e);

    /// <summary>Completes a trace without its spans when another trace is open at the same time.</summary>
    public static Reducer LosesSpansWhenTracesOverlap { get; } = (s, e) =>
    {
        var step = Real(s, e);
        return s.Open.Count < 2 ? step : step with
        {
            Outputs = step.Outputs.Map(o => o is Output.TraceCompleted c ? new Output.TraceCompleted(c.Trace with { Spans = default }) : o).Strict(),
        };
    };

    /// <summary>Stamps each step with a process-wide counter, so two folds of one script differ.</summary>
    public static Reducer Nondeterministic { get; } = (s, e) =>
    {
        var step = Real(s, e);
        var n = Interlocked.Increment(ref counter);
        return e is null ? step : step with
        {
            Outputs = step.Outputs.Add(new Output.Rejected(e, RejectionReason.InvalidValue, n.ToString(System.Globalization.CultureInfo.InvariantCulture))).Strict(),
        };
    };

    static long counter;

    /// <summary>Accepts a span start whose parent never started in its trace (the parent check forgets the unknown).</summary>
    public static Reducer AcceptsUnknownParents { get; } = (s, e) =>
    {
        if (e is SpanStarted { Parent: { } parent } start && parent != start.Span && s.Find(start.Trace).TryGet(out var open)
            && open.Trace.IsOpen && !open.OpenSpans.ContainsKey(start.Span) && !open.OpenSpans.ContainsKey(parent)
            && !open.Trace.Spans.Exists(x => x.Id == parent) && !open.Trace.Spans.Exists(x => x.Id == start.Span))
        {
            var step = Real(s, start with { Parent = null });
            return step with
            {
                State = new TraceState(step.State.Open.AddOrUpdate(start.Trace, step.State.Open.Find(start.Trace).Map(o =>
                    o.WithOpenSpans(o.OpenSpans.AddOrUpdate(start.Span, o.OpenSpans.Find(start.Span).Map(x => (ISpanSlot)OpenSpan.Of(x.State.Value with { Parent = parent })).IfNone(() => null!))))
                    .IfNone(() => null!))),
                Outputs = step.Outputs.Map(o => o is Output.SpanStarted ss ? new Output.SpanStarted(ss.Span with { Parent = parent }) : o).Strict(),
            };
        }
        return Real(s, e);
    };
}
