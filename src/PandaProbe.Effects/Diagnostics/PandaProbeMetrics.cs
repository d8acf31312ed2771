using PandaProbe.Pipeline;
using System.Collections.Concurrent;

namespace PandaProbe.Diagnostics;

/// <summary>
/// The platform exporter's delivery tally: plain thread-safe counts. The pipeline's counters read them
/// (<see cref="PipelineCounters"/>): they reach users through the client's <c>Health</c>, every <c>FlushResult</c> and
/// the <c>PandaProbe</c> meter, all three from that one counter set. Read here directly only when testing the exporter
/// alone.
/// </summary>
internal sealed class PandaProbeMetrics
{
    private readonly ConcurrentDictionary<DropReason, long> droppedByReason = new();
    private long queuedCount, exportedCount, retriedCount, failedCount, droppedCount, spooledCount, replayedCount;


    /// <summary>Counts items written to the spool because they could not be delivered now.</summary>
    /// <param name="count">How many.</param>
    public void RecordSpooled(long count = 1) { Interlocked.Add(ref spooledCount, count); }

    /// <summary>Counts spooled items delivered by the replay (by this process, whichever process spooled them).</summary>
    /// <param name="count">How many.</param>
    public void RecordReplayed(long count = 1) { Interlocked.Add(ref replayedCount, count); }

    /// <summary>Items written to the spool because they could not be delivered now.</summary>
    public long Spooled => Interlocked.Read(ref spooledCount);

    /// <summary>Spooled items this process delivered.</summary>
    public long Replayed => Interlocked.Read(ref replayedCount);

    /// <summary>Counts items handed to the exporter for delivery.</summary>
    /// <param name="count">How many.</param>
    public void RecordQueued(long count = 1) { Interlocked.Add(ref queuedCount, count); }

    /// <summary>Counts delivered items.</summary>
    /// <param name="count">How many.</param>
    public void RecordExported(long count = 1) { Interlocked.Add(ref exportedCount, count); }

    /// <summary>Counts a retried request attempt.</summary>
    /// <param name="count">How many.</param>
    public void RecordRetried(long count = 1) { Interlocked.Add(ref retriedCount, count); }

    /// <summary>Counts items an exporter gave up on; they are also counted as dropped with <paramref name="reason"/>.</summary>
    /// <param name="reason">Why (see <see cref="PandaProbe.Pipeline.DropReason"/>).</param>
    /// <param name="count">How many.</param>
    public void RecordFailed(DropReason reason, long count = 1)
    {
        Interlocked.Add(ref failedCount, count);
        RecordDropped(reason, count);
    }

    /// <summary>Counts lost items (for example a queue overflow) with their reason.</summary>
    /// <param name="reason">Why (see <see cref="PandaProbe.Pipeline.DropReason"/>).</param>
    /// <param name="count">How many.</param>
    public void RecordDropped(DropReason reason, long count = 1)
    {
        Interlocked.Add(ref droppedCount, count);
        droppedByReason.AddOrUpdate(reason, count, (_, n) => n + count);
    }

    /// <summary>Items handed to the exporter for delivery.</summary>
    public long Queued => Interlocked.Read(ref queuedCount);

    /// <summary>Items delivered.</summary>
    public long Exported => Interlocked.Read(ref exportedCount);

    /// <summary>Request attempts that were retried.</summary>
    public long Retried => Interlocked.Read(ref retriedCount);

    /// <summary>Items the exporter gave up on.</summary>
    public long Failed => Interlocked.Read(ref failedCount);

    /// <summary>Items lost for any reason.</summary>
    public long Dropped => Interlocked.Read(ref droppedCount);

    /// <summary>The dropped items by reason (see <see cref="PandaProbe.Pipeline.DropReason"/>), as a copy.</summary>
    public IReadOnlyDictionary<DropReason, long> DroppedByReason => new Dictionary<DropReason, long>(droppedByReason);

    /// <summary>The dropped count for one reason (0 when none).</summary>
    /// <param name="reason">The reason.</param>
    public long DroppedFor(DropReason reason) => droppedByReason.TryGetValue(reason, out var n) ? n : 0;
}
