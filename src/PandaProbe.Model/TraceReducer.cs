using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// The one reducer: <c>(state, event) → (state, outputs)</c>. Pure (no clock, no ids, no I/O), total (never throws:
/// an ill-formed event becomes an <see cref="Output.Rejected"/> output and leaves the state unchanged) and
/// deterministic. Token usage, cost, model parameters, input and output replace; metadata and parameters merge; an
/// unset span status becomes OK on a clean end and a trace's unset status becomes COMPLETED; an error stays ERROR.
/// </summary>
public static class TraceReducer
{
    /// <summary>Applies one event.</summary>
    /// <param name="state">The state before the event.</param>
    /// <param name="e">The event.</param>
    /// <returns>The new state and the outputs the event produced.</returns>
    public static Step Apply(TraceState state, TraceEvent e) => e switch
    {
        null => new Step(state ?? TraceState.Empty, NoOutputs),
        _ when state is null => Apply(TraceState.Empty, e),
        TraceStarted s => StartTrace(state, s),
        TraceEnded x => EndTrace(state, x),
        SpanStarted s => StartSpan(state, s),
        SpanEnded x => EndSpan(state, x),
        ScoreRecorded r => new Step(state, new Output.ScoreSubmitted(r.Score)),
        _ when e.Target is SpanId id => UpdateSpan(state, e, id),
        _ => UpdateTrace(state, e),
    };

    /// <summary>Folds a whole script from the empty state, collecting every output in order.</summary>
    public static Step Fold(IEnumerable<TraceEvent> events) => Fold(TraceState.Empty, events);

    /// <summary>Folds a script from a given state, collecting every output in order.</summary>
    public static Step Fold(TraceState state, IEnumerable<TraceEvent> events)
    {
        var outputs = new List<Output>();
        foreach (var e in events)
        {
            var step = Apply(state, e);
            state = step.State;
            for (var i = 0; i < step.OutputCount; i++) outputs.Add(step.OutputAt(i));
        }
        return new Step(state, outputs.ToSeq().Strict());
    }

    static readonly Seq<Output> NoOutputs = Seq<Output>();

    static Step Reject(TraceState state, TraceEvent e, RejectionReason reason, string detail) =>
        new(state, new Output.Rejected(e, reason, detail));

    /// <summary>A step whose outputs are the adjustments (if any) followed by <paramref name="last"/>.</summary>
    static Step Then(TraceState state, List<Output>? adjusted, Output last) =>
        adjusted is null ? new Step(state, last) : new Step(state, adjusted.ToSeq().Add(last).Strict());

    static Step StartTrace(TraceState state, TraceStarted s)
    {
        if (state.ContainsKey(s.Trace))
            return Reject(state, s, RejectionReason.DuplicateTrace, $"trace {s.Trace} is already open");
        List<Output>? adjusted = null;
        var trace = new Trace
        {
            Id = s.Trace,
            Name = FitName(s, s.Name, "name", ref adjusted),
            StartedAt = s.At,
            StartDetails = new Trace.TraceStart(
                Input: s.Input is { } input ? Some(input) : None,
                Metadata: s.Metadata,
                SessionId: FitShort(s, s.SessionId, "session_id", ref adjusted),
                UserId: FitShort(s, s.UserId, "user_id", ref adjusted),
                Tags: s.Tags.IsEmpty ? default : s.Tags.Filter(static t => t is not null).Strict(),
                Environment: FitShort(s, s.Environment, "environment", ref adjusted),
                Release: FitShort(s, s.Release, "release", ref adjusted),
                ParentTrace: s.ParentTrace is { } p ? Some(p) : None),
        };
        var next = state.Set(s.Trace, OpenParts.Of(trace, SpanTable.Empty));
        return Then(next, adjusted, new Output.TraceStarted(trace));
    }

    static Step EndTrace(TraceState state, TraceEnded x)
    {
        if (!state.TryFind(x.Trace, out var open))
            return Reject(state, x, RejectionReason.UnknownTrace, $"trace {x.Trace} is not open");
        if (!open.IsOpen) return Reject(state, x, RejectionReason.TraceEnded, $"trace {x.Trace} has already ended");
        var t = open.Head;
        var ended = t with
        {
            EndedAt = Some(Later(t.StartedAt, x.At)),
            Status = t.StatusIsExplicit ? t.Status : TraceStatus.Completed,
            Spans = open.Ended,
        };
        var next = open.OpenSpans.IsEmpty
            ? state.Remove(x.Trace)
            : state.Set(x.Trace, open.WithHead(ended with { Spans = default }));
        return new Step(next, new Output.TraceCompleted(ended));
    }

    static Step StartSpan(TraceState state, SpanStarted s)
    {
        if (!state.TryFind(s.Trace, out var open))
            return Reject(state, s, RejectionReason.UnknownTrace, $"trace {s.Trace} is not open");
        if (!open.IsOpen) return Reject(state, s, RejectionReason.TraceEnded, $"trace {s.Trace} has already ended");
        if (open.OpenSpans.ContainsKey(s.Span) || open.HasEnded(s.Span))
            return Reject(state, s, RejectionReason.DuplicateSpan, $"span {s.Span} was already started in trace {s.Trace}");
        if (s.Parent is { } parent && !open.OpenSpans.ContainsKey(parent))
            return Reject(state, s, RejectionReason.ParentNotOpen, $"parent span {parent} is not open in trace {s.Trace}");
        List<Output>? adjusted = null;
        var span = new Span
        {
            Id = s.Span,
            Trace = s.Trace,
            Parent = s.Parent is { } p ? Some(p) : None,
            Name = FitName(s, s.Name, "name", ref adjusted),
            Kind = s.Kind,
            StartedAt = s.At,
            StartDetails = (FitShort(s, s.Model, "model", ref adjusted), s.Metadata),
        };
        var next = state.Set(s.Trace, open.WithOpenSpans(open.OpenSpans.AddOrUpdate(s.Span, span)));
        return Then(next, adjusted, new Output.SpanStarted(span));
    }

    static Step EndSpan(TraceState state, SpanEnded x)
    {
        if (!state.TryFind(x.Trace, out var open))
            return Reject(state, x, RejectionReason.UnknownTrace, $"trace {x.Trace} is not open");
        if (!open.OpenSpans.TryFind(x.Span, out var span))
            return Reject(state, x, RejectionReason.SpanNotOpen, $"span {x.Span} is not open");
        var ended = span with
        {
            EndedAt = Some(Later(span.StartedAt, x.At)),
            Status = span.Status == SpanStatus.Unset ? SpanStatus.Ok : span.Status,
        };
        var remaining = open.OpenSpans.Remove(x.Span);
        if (open.IsOpen)
        {
            var next = state.Set(x.Trace, open.WithEnded(ended, remaining));
            return new Step(next, new Output.SpanCompleted(ended, false));
        }
        var after = remaining.IsEmpty
            ? state.Remove(x.Trace)
            : state.Set(x.Trace, open.WithOpenSpans(remaining));
        return new Step(after, new Output.SpanCompleted(ended, true));
    }

    static Step UpdateSpan(TraceState state, TraceEvent e, SpanId id)
    {
        if (!state.TryFind(e.Trace, out var open))
            return Reject(state, e, RejectionReason.UnknownTrace, $"trace {e.Trace} is not open");
        if (!open.OpenSpans.TryFind(id, out var current))
            return Reject(state, e, RejectionReason.SpanNotOpen, $"span {id} is not open");
        List<Output>? adjusted = null;
        var evolved = EvolveSpan(current, e, ref adjusted);
        if (evolved is null) return Reject(state, e, RejectionReason.InvalidValue, $"{e.GetType().Name} does not apply to a span");
        var next = state.Set(e.Trace, open.WithOpenSpans(open.OpenSpans.AddOrUpdate(id, evolved)));
        return new Step(next, adjusted is null ? NoOutputs : adjusted.ToSeq().Strict());
    }

    static Step UpdateTrace(TraceState state, TraceEvent e)
    {
        if (!state.TryFind(e.Trace, out var open))
            return Reject(state, e, RejectionReason.UnknownTrace, $"trace {e.Trace} is not open");
        if (!open.IsOpen) return Reject(state, e, RejectionReason.TraceEnded, $"trace {e.Trace} has already ended");
        var evolved = EvolveTrace(open.Head, e);
        if (evolved is null) return Reject(state, e, RejectionReason.InvalidValue, $"{e.GetType().Name} does not apply to a trace");
        var next = state.Set(e.Trace, open.WithHead(evolved));
        return new Step(next, NoOutputs);
    }

    static Span? EvolveSpan(Span span, TraceEvent e, ref List<Output>? adjusted) => e switch
    {
        InputSet i => span with { Input = Some(i.Input ?? Payload.Null) },
        OutputSet o => span with { Output = Some(o.Output ?? Payload.Null) },
        ModelSet m => span with { Model = FitShort(m, m.Model, "model", ref adjusted) },
        TokensSet t when t.Tokens is not null => span with { Tokens = Some(t.Tokens) },
        CostSet c when c.Cost is not null => span with { Cost = Some(c.Cost) },
        ModelParametersSet p => span with { ModelParameters = Some(p.Parameters) },
        CompletionStartSet c => span with { CompletionStartTime = Some(c.CompletionStart) },
        MetadataMerged m => span with { Metadata = Merge(span.Metadata, m.Metadata) },
        Errored x when x.Error is not null => span with { Error = Some(x.Error), Status = SpanStatus.Error },
        SpanStatusSet s => span with { Status = s.Status },
        ParamsRegistered p => span with { Params = p.Overwrite ? p.Params : Merge(span.Params, p.Params) },
        Logged l => span with { Logs = span.Logs.Add(new LogEntry(l.At, l.Data ?? Payload.Null)) },
        _ => null,
    };

    static Trace? EvolveTrace(Trace trace, TraceEvent e) => e switch
    {
        InputSet i => trace with { Input = Some(i.Input ?? Payload.Null) },
        OutputSet o => trace with { Output = Some(o.Output ?? Payload.Null) },
        MetadataMerged m => trace with { Metadata = Merge(trace.Metadata, m.Metadata) },
        Errored x when x.Error is not null => trace with { Error = Some(x.Error), Status = TraceStatus.Error, StatusIsExplicit = true },
        TraceStatusSet s => trace with { Status = s.Status, StatusIsExplicit = true },
        ParamsRegistered p => trace with { Params = p.Overwrite ? p.Params : Merge(trace.Params, p.Params) },
        Logged l => trace with { Logs = trace.Logs.Add(new LogEntry(l.At, l.Data ?? Payload.Null)) },
        _ => null,
    };

    /// <summary>Shallow merge: every key of <paramref name="incoming"/> replaces the same key of <paramref name="existing"/>.</summary>
    public static Map<string, Payload> Merge(Map<string, Payload> existing, Map<string, Payload> incoming) =>
        existing.IsEmpty ? incoming : incoming.Fold(existing, (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));

    static DateTimeOffset Later(DateTimeOffset start, DateTimeOffset end) => end < start ? start : end;

    static string FitName(TraceEvent e, string? name, string field, ref List<Output>? adjusted)
    {
        var fitted = Limits.Name(name);
        if (!string.Equals(fitted, name, StringComparison.Ordinal))
            (adjusted ??= []).Add(new Output.Adjusted(e, field, string.IsNullOrWhiteSpace(name)
                ? $"empty {field} replaced by '{Limits.UnnamedName}'"
                : $"{field} truncated from {name!.Length} to {Limits.MaxNameLength} characters"));
        return fitted;
    }

    static Option<string> FitShort(TraceEvent e, string? value, string field, ref List<Output>? adjusted)
    {
        if (value is null) return None;
        var fitted = Limits.ShortText(value);
        if (fitted.Length != value.Length || !ReferenceEquals(fitted, value) && fitted != value)
            (adjusted ??= []).Add(new Output.Adjusted(e, field, $"{field} truncated from {value.Length} to {Limits.MaxShortTextLength} characters"));
        return Some(fitted);
    }
}
