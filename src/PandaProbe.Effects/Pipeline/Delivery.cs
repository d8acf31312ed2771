using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>What became of one delivery in one exporter's lane.</summary>
/// <param name="Unsent">Items that exporter did not deliver (failed, deferred to its spool, or dropped).</param>
/// <param name="Failed">Items it gave up on.</param>
/// <param name="Dropped">Items dropped before it tried them (its lane was full, or the shutdown deadline passed).</param>
/// <param name="Reason">Why they were dropped.</param>
internal readonly record struct LaneOutcome(int Unsent, int Failed, int Dropped, DropReason Reason)
{
    /// <summary>Everything delivered (or a marker passed).</summary>
    public static LaneOutcome Delivered { get; } = new(0, 0, 0, default);

    /// <summary>What an exporter's result says.</summary>
    public static LaneOutcome Of(ExportResult result, int count) =>
        new(Math.Min(result.Failed + result.Deferred, count), Math.Min(result.Failed, count), 0, default);

    /// <summary>All <paramref name="count"/> items dropped for <paramref name="reason"/>.</summary>
    public static LaneOutcome AllDropped(int count, DropReason reason) => new(count, 0, count, reason);
}

/// <summary>
/// One prepared batch (or a flush's marker) on its way through every exporter's lane. Each lane settles it once; when
/// the last one has, its items are counted once, by the lane that did worst with them (most unsent, then most dropped,
/// then most failed): exported, failed or dropped; and a marker's flush completes. A batch is pending until every lane
/// has settled it.
/// </summary>
internal sealed class Delivery
{
    readonly PipelineCounters counters;
    int lanes;
    LaneOutcome worst;

    Delivery(ExportBatch? batch, TaskCompletionSource? flush, int lanes, PipelineCounters counters)
    {
        Batch = batch;
        Flush = flush;
        this.lanes = lanes;
        this.counters = counters;
        if (batch is not null) counters.Pending(batch.Count);
        if (lanes == 0) Complete();
    }

    /// <summary>A batch for every lane.</summary>
    public static Delivery OfBatch(ExportBatch batch, int lanes, PipelineCounters counters) => new(batch, null, lanes, counters);

    /// <summary>A flush's marker: it completes <paramref name="flush"/> once every lane has reached it.</summary>
    public static Delivery OfFlush(TaskCompletionSource flush, int lanes, PipelineCounters counters) => new(null, flush, lanes, counters);

    /// <summary>The items (null for a marker).</summary>
    public ExportBatch? Batch { get; }

    /// <summary>The flush a marker completes (null for a batch).</summary>
    public TaskCompletionSource? Flush { get; }

    /// <summary>Items in the batch (0 for a marker: markers are never dropped to make room).</summary>
    public int Count => Batch?.Count ?? 0;

    /// <summary>One lane's outcome; the last lane's completes the delivery. Call once per lane.</summary>
    public void Settle(LaneOutcome outcome)
    {
        lock (this)
        {
            // The worst lane decides, whole: most items unsent, then most dropped, then most failed. Taking each figure
            // from a different lane would count the same items twice (failed in one, dropped in another).
            if (outcome.Unsent > worst.Unsent
                || outcome.Unsent == worst.Unsent && (outcome.Dropped > worst.Dropped
                    || outcome.Dropped == worst.Dropped && outcome.Failed > worst.Failed))
                worst = outcome;
            if (--lanes > 0) return;
        }
        Complete();
    }

    void Complete()
    {
        if (Batch is { Count: var count })
        {
            counters.Exported(count - worst.Unsent);
            if (worst.Failed > 0) counters.Failed(worst.Failed);
            if (worst.Dropped > 0) counters.Dropped(worst.Reason, worst.Dropped);
            counters.Pending(-count);
            counters.Deliveries.Settled(Batch, worst);
        }
        Flush?.TrySetResult();
    }
}
