using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>
/// Traces someone waits for (a trace's own flush: <c>FlushOnDispose</c>, <c>TraceContext.FlushAsync</c>,
/// <c>Probe.WaitForDelivery</c>). Each wait is settled once: with the outcome of the delivery that carried its trace,
/// once every exporter's lane has settled that delivery; or at once, with no outcome, when the trace will not be
/// delivered by a lane (sampled out, lost to a failed redaction); or as unsent when it went to the spool instead. A
/// trace is named by its id and, for a continuation, the span standing for it (continuations of one upstream trace
/// share its id). Several waits for one trace are independent: forgetting one leaves the others. With nobody waiting
/// a settled delivery costs one check of a count.
/// </summary>
internal sealed class TraceDeliveries
{
    readonly Dictionary<(TraceId, SpanId?), List<TaskCompletionSource<LaneOutcome?>>> waiting = [];
    int count;   // waits registered and not settled or forgotten (read without the lock)

    static (TraceId, SpanId?) Key(TraceRecord trace) => (trace.Id, trace.ContinuationSpan);

    /// <summary>Starts one wait for a trace (before it completes, so its delivery cannot be missed).</summary>
    public TaskCompletionSource<LaneOutcome?> Watch(TraceId trace, SpanId? continuation)
    {
        var wait = new TaskCompletionSource<LaneOutcome?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (waiting)
        {
            if (!waiting.TryGetValue((trace, continuation), out var list)) waiting[(trace, continuation)] = list = new(1);
            list.Add(wait);
            count++;
        }
        return wait;
    }

    /// <summary>Stops one wait (it timed out, or its trace stayed open).</summary>
    public void Forget(TraceId trace, SpanId? continuation, TaskCompletionSource<LaneOutcome?> wait)
    {
        lock (waiting)
        {
            if (!waiting.TryGetValue((trace, continuation), out var list) || !list.Remove(wait)) return;
            count--;
            if (list.Count == 0) waiting.Remove((trace, continuation));
        }
    }

    /// <summary>A delivery settled by every lane, with the worst lane's outcome: its traces' waits complete.</summary>
    public void Settled(ExportBatch batch, LaneOutcome worst)
    {
        if (Volatile.Read(ref count) == 0) return;
        foreach (var trace in batch.Traces)
            if (trace is not null) Settle(trace, worst);
    }

    /// <summary>One trace settled outside a delivery: null when it will not be delivered (sampled out, lost).</summary>
    public void Settle(TraceRecord trace, LaneOutcome? outcome)
    {
        if (Volatile.Read(ref count) == 0 || trace is null) return;
        List<TaskCompletionSource<LaneOutcome?>>? list;
        lock (waiting)
        {
            if (!waiting.Remove(Key(trace), out list)) return;
            count -= list.Count;
        }
        foreach (var wait in list) wait.TrySetResult(outcome);
    }
}
