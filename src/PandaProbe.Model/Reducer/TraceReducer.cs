using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// The one reducer, in the shape of an Elmish <c>update</c>: <c>(state of a trace, event) → (next state, output)</c>,
/// one match over the closed <see cref="TraceEvent"/> union with trace and span events kept apart. Pure (no clock, no
/// ids, no I/O), total (never throws: an ill-formed event becomes an <see cref="Output.Rejected"/> output and leaves
/// the state as it was) and deterministic. Token usage, cost, model parameters, input and output replace; metadata and
/// parameters merge; an unset span status becomes OK on a clean end and a trace's unset status becomes COMPLETED; an
/// error stays ERROR. Values are kept as given: fitting them to the platform's limits is the export side's
/// enrichment.
/// </summary>
internal static class TraceReducer
{
    /// <summary>Applies one event to one trace.</summary>
    /// <param name="trace">The trace's state before the event; <c>null</c> for a trace that is not open.</param>
    /// <param name="e">The event.</param>
    /// <param name="slot">
    /// For a <see cref="SpanStarted"/>, where the new span's state is to live (the SDK's span cell, made from
    /// <see cref="OpenSpan.Start"/>); by default the span's value itself. A span-local event reaches a span held in a
    /// cell through that cell (<see cref="SpanReducer"/>), never through this function.
    /// </param>
    /// <returns>The trace's next state (<c>null</c> once it has finished) and the output the event produced.</returns>
    public static TraceStep Apply(OpenTrace? trace, TraceEvent e, ISpanSlot? slot = null) => e switch
    {
        null => new TraceStep(trace, null),
        ScoreRecorded r => new TraceStep(trace, new Output.ScoreSubmitted(r.Score)),
        TraceStarted s when trace is null => StartTrace(s),
        _ when trace is null => Reject(trace, e, RejectionReason.UnknownTrace, $"trace {e.Trace} is not open"),
        TraceStarted s => Reject(trace, s, RejectionReason.DuplicateTrace, $"trace {s.Trace} is already open"),
        TraceEnded x => EndTrace(trace, x),
        SpanStarted s => StartSpan(trace, s, slot),
        SpanEnded x => EndSpan(trace, x),
        { Target: { } id } => OnSpan(trace, e, id),

        InputSet i => OnTrace(trace, i, static (t, i) => t with { Input = i.Input ?? Payload.Null }),
        OutputSet o => OnTrace(trace, o, static (t, o) => t with { Output = o.Output ?? Payload.Null }),
        MetadataMerged m => OnTrace(trace, m, static (t, m) => t with { Metadata = Merge(t.Metadata, m.Metadata) }),
        Errored x => OnTrace(trace, x, static (t, x) => x.Error is null ? null : t with { Error = x.Error, Status = TraceStatus.Error, StatusIsExplicit = true }),
        TraceStatusSet s => OnTrace(trace, s, static (t, s) => t with { Status = s.Status, StatusIsExplicit = true }),
        TraceRenamed n => OnTrace(trace, n, static (t, n) => n.Name is null ? null : t with { Name = n.Name }),
        ParamsRegistered p => OnTrace(trace, p, static (t, p) => t with { Params = p.Overwrite ? p.Params : Merge(t.Params, p.Params) }),
        Logged l => OnTrace(trace, l, static (t, l) => t with { Logs = t.Logs.Add(new LogEntry(l.At, l.Data ?? Payload.Null)) }),

        _ => Reject(trace, e, RejectionReason.InvalidValue, $"{e.GetType().Name} is not an event this reducer knows"),
    };

    /// <summary>Applies one event to a fold over many traces (the trace's own step, kept in a map).</summary>
    /// <param name="state">The state before the event.</param>
    /// <param name="e">The event.</param>
    /// <returns>The new state and the outputs the event produced.</returns>
    public static Step Apply(TraceState state, TraceEvent e)
    {
        state ??= TraceState.Empty;
        if (e is null) return new Step(state, Seq<Output>());
        var before = state.Find(e.Trace).IfNoneUnsafe(default(OpenTrace)!);
        var (after, output) = Apply(before, e);
        var next = ReferenceEquals(before, after) ? state : state.With(e.Trace, after);
        return new Step(next, output is null ? Seq<Output>() : Seq1(output));
    }

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
            outputs.AddRange(step.Outputs);
        }
        return new Step(state, outputs.ToSeq().Strict());
    }

    /// <summary>Shallow merge: every key of <paramref name="incoming"/> replaces the same key of <paramref name="existing"/>.</summary>
    public static Map<string, Payload> Merge(Map<string, Payload> existing, Map<string, Payload> incoming) =>
        Maps.Merge(existing, incoming);

    static TraceStep Reject(OpenTrace? trace, TraceEvent e, RejectionReason reason, string detail) =>
        new(trace, new Output.Rejected(e, reason, detail));

    static TraceStep StartTrace(TraceStarted s) => Start(s, mintedIds: false);

    /// <summary>
    /// A trace's start: its first state and the start output. The SDK starts its traces here with
    /// <paramref name="mintedIds"/> (see <see cref="OpenTrace.Started"/>); the fold over events starts them without.
    /// </summary>
    internal static TraceStep Start(TraceStarted s, bool mintedIds) =>
        new(OpenTrace.Started(s, mintedIds), new Output.TraceStarted(s));

    /// <summary>
    /// The trace as <paramref name="s"/> starts it (no spans yet); with <paramref name="endedAt"/>, as it ends then
    /// (COMPLETED, with <paramref name="spans"/>) when nothing but its start set its fields.
    /// </summary>
    internal static TraceRecord TraceAt(TraceStarted s, DateTimeOffset? endedAt = null, Seq<Span> spans = default) => new()
    {
        Id = s.Trace,
        Name = s.Name ?? string.Empty,
        StartedAt = s.At,
        EndedAt = endedAt,
        Status = endedAt is null ? TraceStatus.Running : TraceStatus.Completed,
        Spans = spans,
        Input = s.Input,
        Metadata = s.Metadata,
        SessionId = s.SessionId,
        UserId = s.UserId,
        Tags = s.Tags.IsEmpty ? default : s.Tags.Filter(static t => t is not null).Strict(),
        Environment = s.Environment,
        Release = s.Release,
        Links = s.Links,
    };

    /// <summary>The span as <paramref name="s"/> starts it.</summary>
    internal static Span SpanAt(SpanStarted s) => new()
    {
        Id = s.Span,
        Trace = s.Trace,
        Parent = s.Parent,
        Name = s.Name ?? string.Empty,
        Kind = s.Kind,
        StartedAt = s.At,
        Model = s.Model,
        Metadata = s.Metadata,
    };

    static TraceStep EndTrace(OpenTrace open, TraceEnded x)
    {
        if (!open.IsOpen) return Reject(open, x, RejectionReason.TraceEnded, $"trace {x.Trace} has already ended");
        var ended = open.End(x.At);
        // Spans still open become late spans: the trace stays until they end, without its ended spans.
        var next = open.OpenSpans.IsEmpty ? null : open.Ending(ended);
        return new TraceStep(next, new Output.TraceCompleted(ended));
    }

    static TraceStep StartSpan(OpenTrace open, SpanStarted s, ISpanSlot? slot)
    {
        if (!open.IsOpen) return Reject(open, s, RejectionReason.TraceEnded, $"trace {s.Trace} has already ended");
        if (open.OpenSpans.ContainsKey(s.Span) || open.HasEnded(s.Span))
            return Reject(open, s, RejectionReason.DuplicateSpan, $"span {s.Span} was already started in trace {s.Trace}");
        // A continuation's top-level spans hang under the span that stands for the trace upstream. A parent that has
        // ended keeps its child (a late child, counted); with minted ids every parent named was started in this trace.
        var lateChild = false;
        if (s.Parent is { } parent && !open.OpenSpans.ContainsKey(parent) && parent != open.Head.ContinuationSpan)
        {
            if (parent == s.Span || !open.MintsIds && !open.HasEnded(parent))
                return Reject(open, s, RejectionReason.UnknownParent, $"parent span {parent} never started in trace {s.Trace}");
            lateChild = true;
        }
        return new TraceStep(open.WithOpenSpans(open.OpenSpans.AddOrUpdate(s.Span, slot ?? OpenSpan.Start(s))),
            new Output.SpanStarted(s) { LateChild = lateChild });
    }

    static TraceStep EndSpan(OpenTrace open, SpanEnded x)
    {
        if (!open.OpenSpans.TryFind(x.Span, out var slot))
            return Reject(open, x, RejectionReason.SpanNotOpen, $"span {x.Span} is not open");
        var span = slot.State;
        var ended = span.End(x.At);
        var remaining = open.OpenSpans.Remove(x.Span);
        if (open.IsOpen) return new TraceStep(open.WithEnded(ended, remaining, span.Version), new Output.SpanCompleted(ended, false));
        // A late span: the trace has completed already; it leaves the state with its last open span.
        return new TraceStep(remaining.IsEmpty ? null : open.WithOpenSpans(remaining, 1 + span.Version), new Output.SpanCompleted(ended, true));
    }

    /// <summary>
    /// Applies a span-local event to the open span it targets (of an open or an ended trace), by
    /// <see cref="SpanReducer"/>; the trace's own count is unchanged (the span counts it).
    /// </summary>
    static TraceStep OnSpan(OpenTrace open, TraceEvent e, SpanId id)
    {
        if (!open.OpenSpans.TryFind(id, out var slot)) return Reject(open, e, RejectionReason.SpanNotOpen, $"span {id} is not open");
        var (span, output) = SpanReducer.Apply(slot.State, e, id);
        return output is null
            ? new TraceStep(open.WithOpenSpans(open.OpenSpans.AddOrUpdate(id, span!), folded: 0), null)
            : new TraceStep(open, output);
    }

    /// <summary>
    /// Changes the trace's own fields with <paramref name="evolve"/> while it is open; <paramref name="evolve"/>
    /// returns <c>null</c> when the event lacks its value.
    /// </summary>
    static TraceStep OnTrace<E>(OpenTrace open, E e, Func<TraceRecord, E, TraceRecord?> evolve) where E : TraceEvent
    {
        if (!open.IsOpen) return Reject(open, e, RejectionReason.TraceEnded, $"trace {e.Trace} has already ended");
        return evolve(open.Head, e) is { } next
            ? new TraceStep(open.WithHead(next), null)
            : Reject(open, e, RejectionReason.InvalidValue, $"{e.GetType().Name} carries no value");
    }

    internal static DateTimeOffset Later(DateTimeOffset start, DateTimeOffset end) => end < start ? start : end;
}
