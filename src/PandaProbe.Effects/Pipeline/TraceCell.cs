namespace PandaProbe.Pipeline;

/// <summary>
/// The state of one trace in one atomic cell. An event is folded by the pure reducer on the thread that raised it and
/// the new state swapped in with a compare-and-swap; when another thread swapped first (concurrent spans of one
/// trace), the pure function is applied again to the newer state, so each event is applied exactly once and the
/// trace's own events have one order (<see cref="OpenTrace.Version"/>). A span's setters do not come here: each open
/// span has its own <see cref="SpanCell"/>, held in the trace's table of open spans, so the trace's state changes only
/// when a span starts or ends or the trace's own fields change. The outputs go to the pipeline on the same thread; no
/// event or trace is handed to another thread.
/// </summary>
internal sealed class TraceCell
{
    readonly TracePipeline pipeline;
    OpenTrace? state;    // null once the trace has finished (ended, and its late spans too)
    TraceRecord? completed;    // the trace as it completed, once it has

    internal TraceCell(TracePipeline pipeline, TraceId id, OpenTrace state, DateTimeOffset started)
    {
        this.pipeline = pipeline;
        Id = id;
        this.state = state;
        SeenVersion = state.Events;
        IdleSince = started;
    }

    /// <summary>The trace's id.</summary>
    public TraceId Id { get; }

    // The open-traces list (OpenTraces): links, kept under its lock; and what its sweep last saw, used by it alone.
    internal TraceCell? Previous, Next;
    internal bool Linked;
    internal int SeenVersion;
    internal DateTimeOffset IdleSince;

    /// <summary>The trace's state now (<c>null</c> once it has finished).</summary>
    public OpenTrace? State => Volatile.Read(ref state);

    /// <summary>The trace as the reducer completed it (before enrichment), once it has ended.</summary>
    public TraceRecord? Completed => Volatile.Read(ref completed);

    /// <summary>
    /// Folds <paramref name="e"/> into the trace and routes its output. A span-local event goes to its span's own
    /// <see cref="SpanCell"/>; a span's end closes that cell before the trace folds it. Never throws and never blocks;
    /// after shutdown the event is counted as dropped and not folded.
    /// </summary>
    /// <returns>The step that was applied (its output is null when there was none).</returns>
    public TraceStep Raise(TraceEvent e) => Raise(e, out _);

    /// <summary>Starts a span of this trace: its cell, or null when the start was refused (the refusal is routed).</summary>
    public SpanCell? StartSpan(TraceEvent.SpanStarted started)
    {
        Raise(started, out var cell);
        return cell;
    }

    TraceStep Raise(TraceEvent e, out SpanCell? started)
    {
        started = null;
        if (e is null) return new TraceStep(State, null);
        if (pipeline.IsClosed)
        {
            pipeline.Counters.Dropped(DropReason.AfterShutdown);
            return new TraceStep(State, null);
        }
        var before = Volatile.Read(ref state);
        if (before is not null && e.Target is { } target && e is not TraceEvent.SpanStarted
            && before.OpenSpans.TryFind(target, out var slot) && slot is SpanCell span)
        {
            if (e is not TraceEvent.SpanEnded)
            {
                var (after, output) = span.Raise(e);   // touches the span's cell alone
                return new TraceStep(before, output) { SpanVersion = output is null ? after?.Version ?? 0 : 0 };
            }
            if (!span.Close())
            {
                var refused = new Output.Rejected(e, RejectionReason.SpanNotOpen, $"span {target} is not open");
                pipeline.Route(e, refused);
                return new TraceStep(before, refused);
            }
        }
        // A span-local event whose span is not in the state is refused by the reducer, with no retry (a retry could
        // only follow a swap), so the reducer never folds an event into a span held by a cell.
        var cell = e is TraceEvent.SpanStarted s ? new SpanCell(pipeline, s) : null;
        TraceStep step;
        while (true)
        {
            step = TraceReducer.Apply(before, e, cell);
            if (ReferenceEquals(step.State, before)) break;   // refused: nothing to swap
            var seen = Interlocked.CompareExchange(ref state, step.State, before);
            if (ReferenceEquals(seen, before)) break;
            before = seen;                                    // another thread won: apply again to its state
        }
        if (step.Output is Output.SpanStarted) started = cell;
        if (step.Output is Output.TraceCompleted done) Volatile.Write(ref completed, done.Trace);
        if (step.State is null && before is not null) pipeline.Finished(this);
        // The event that finishes the trace (its end, or its last late span's) brings the trace's event count.
        pipeline.Route(e, step.Output, step.State is null && before is not null ? before.Events + 1 : 0);
        return step;
    }
}
