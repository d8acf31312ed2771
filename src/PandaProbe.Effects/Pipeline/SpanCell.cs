namespace PandaProbe.Pipeline;

/// <summary>
/// The state of one open span in its own atomic cell, so that a span's setters touch only it: a span-local event is
/// folded by <see cref="SpanReducer"/> on the thread that raised it and swapped in with a compare-and-swap (retried on
/// the newer state when another thread won, as <see cref="TraceCell"/> does for the trace). Parallel spans of one
/// trace never contend, and the trace's own cell changes only when a span starts or ends. The trace's table of open
/// spans holds this cell (an <see cref="ISpanSlot"/>); ending the span closes the cell first, so no later setter is
/// accepted, and the trace then folds the end with the state the cell closed with.
/// </summary>
internal sealed class SpanCell : ISpanSlot
{
    readonly TracePipeline pipeline;
    object state;   // the OpenSpan while open; a Closed holding the last one after the end

    sealed class Closed(OpenSpan last)
    {
        public readonly OpenSpan Last = last;
    }

    internal SpanCell(TracePipeline pipeline, TraceEvent.SpanStarted started)
    {
        this.pipeline = pipeline;
        Id = started.Span;
        state = OpenSpan.Start(started);
    }

    /// <inheritdoc />
    public SpanId Id { get; }

    /// <inheritdoc />
    public OpenSpan State => Volatile.Read(ref state) switch
    {
        OpenSpan open => open,
        var closed => ((Closed)closed).Last,
    };

    /// <summary>
    /// Folds a span-local event into the span and routes its output (a rejection) and the event. Never throws and
    /// never blocks; after shutdown the event is counted as dropped and not folded.
    /// </summary>
    /// <returns>The span reducer's step: the span after the event (the span as it was when refused), null when not folded.</returns>
    public SpanStep Raise(TraceEvent e)
    {
        if (pipeline.IsClosed)
        {
            pipeline.Counters.Dropped(DropReason.AfterShutdown);
            return new SpanStep(null, null);   // not folded
        }
        var before = Volatile.Read(ref state);
        SpanStep step;
        while (true)
        {
            step = SpanReducer.Apply(before as OpenSpan, e, Id);
            if (step.Output is not null) break;                // refused: nothing to swap
            var seen = Interlocked.CompareExchange(ref state, step.State!, before);
            if (ReferenceEquals(seen, before)) break;
            before = seen;                                      // another thread won: apply again to its state
        }
        pipeline.Route(e, step.Output);
        return step;
    }

    /// <summary>Closes the cell for the span's end: <c>false</c> when it had closed already (the end is refused).</summary>
    public bool Close()
    {
        var before = Volatile.Read(ref state);
        while (before is OpenSpan open)
        {
            var seen = Interlocked.CompareExchange(ref state, new Closed(open), before);
            if (ReferenceEquals(seen, before)) return true;
            before = seen;
        }
        return false;
    }
}
