namespace PandaProbe.Pipeline;

/// <summary>
/// The state of one trace in one atomic cell. An event is folded by the pure reducer on the thread that raised it and
/// the new state swapped in with a compare-and-swap; when another thread swapped first (concurrent spans of one
/// trace), the pure function is applied again to the newer state, so each event is applied exactly once and the
/// trace's events have one order (<see cref="OpenTrace.Version"/>). The outputs then go to the pipeline on the same
/// thread; no event or trace is handed to another thread.
/// </summary>
internal sealed class TraceCell
{
    readonly TracePipeline pipeline;
    OpenTrace? state;    // null once the trace has finished (ended, and its late spans too)
    Trace? completed;    // the trace as it completed, once it has

    internal TraceCell(TracePipeline pipeline, TraceId id, OpenTrace state, DateTimeOffset started)
    {
        this.pipeline = pipeline;
        Id = id;
        this.state = state;
        SeenVersion = state.Version;
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
    public Trace? Completed => Volatile.Read(ref completed);

    /// <summary>
    /// Folds <paramref name="e"/> into the trace and routes its output. Never throws and never blocks; after shutdown
    /// the event is counted as dropped and not folded.
    /// </summary>
    /// <returns>The step that was applied (its output is null when there was none).</returns>
    public TraceStep Raise(TraceEvent e)
    {
        if (e is null) return new TraceStep(State, null);
        if (pipeline.IsClosed)
        {
            pipeline.Counters.Dropped(DropReason.AfterShutdown);
            return new TraceStep(State, null);
        }
        var before = Volatile.Read(ref state);
        TraceStep step;
        while (true)
        {
            step = TraceReducer.Apply(before, e);
            if (ReferenceEquals(step.State, before)) break;   // refused: nothing to swap
            var seen = Interlocked.CompareExchange(ref state, step.State, before);
            if (ReferenceEquals(seen, before)) break;
            before = seen;                                    // another thread won: apply again to its state
        }
        if (step.Output is Output.TraceCompleted done) Volatile.Write(ref completed, done.Trace);
        if (step.State is null && before is not null) pipeline.Finished(this);
        // The event that finishes the trace (its end, or its last late span's) brings the trace's event count.
        pipeline.Route(e, step.Output, step.State is null && before is not null ? before.Version + 1 : 0);
        return step;
    }
}
