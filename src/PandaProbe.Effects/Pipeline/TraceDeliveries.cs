using System.Collections.Concurrent;
using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>
/// Traces someone waits for (a trace's own flush: <c>FlushOnDispose</c>, <c>TraceContext.FlushAsync</c>, the
/// ASP.NET Core flush middleware): each is settled with the outcome of the delivery that carried it, once every
/// exporter's lane has settled that delivery. With nobody waiting a settled delivery costs one emptiness check.
/// </summary>
internal sealed class TraceDeliveries
{
    readonly ConcurrentDictionary<TraceId, TaskCompletionSource<LaneOutcome>> waiting = new();

    /// <summary>Starts waiting for <paramref name="trace"/> (before it completes, so its delivery cannot be missed).</summary>
    public Task<LaneOutcome> Watch(TraceId trace) =>
        waiting.GetOrAdd(trace, static _ => new TaskCompletionSource<LaneOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Stops waiting for <paramref name="trace"/> (its wait timed out).</summary>
    public void Forget(TraceId trace) => waiting.TryRemove(trace, out _);

    /// <summary>A delivery settled by every lane, with the worst lane's outcome: its traces' waits complete.</summary>
    public void Settled(ExportBatch batch, LaneOutcome worst)
    {
        if (waiting.IsEmpty) return;
        foreach (var trace in batch.Traces)
            if (trace is not null && waiting.TryRemove(trace.Id, out var wait)) wait.TrySetResult(worst);
    }
}
