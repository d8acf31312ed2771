using PandaProbe.Pipeline;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PandaProbe.Diagnostics;

/// <summary>
/// The platform exporter's delivery counters: plain thread-safe counts (read them, with the pipeline's, in the client's
/// <c>Health</c>, or here while testing the exporter alone), mirrored into a
/// <see cref="Meter"/> named <see cref="MeterName"/> (instruments <c>pandaprobe.items.queued</c>, <c>.exported</c>,
/// <c>.retried</c>, <c>.failed</c>, <c>.spooled</c>, <c>.replayed</c> and <c>.dropped</c> tagged with <c>reason</c>) so any
/// <c>System.Diagnostics.Metrics</c> listener or OpenTelemetry can collect them.
/// </summary>
internal sealed class PandaProbeMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PandaProbe";

    private readonly Meter meter;

    /// <summary>The meter the counters are published on (one per instance, all named <see cref="MeterName"/>).</summary>
    public Meter Meter => meter;
    private readonly Counter<long> queued, exported, retried, failed, dropped, spooled, replayed;
    private readonly ConcurrentDictionary<DropReason, long> droppedByReason = new();
    private long queuedCount, exportedCount, retriedCount, failedCount, droppedCount, spooledCount, replayedCount;

    /// <summary>Creates the counters and their meter.</summary>
    public PandaProbeMetrics()
    {
        meter = new Meter(MeterName, typeof(PandaProbeMetrics).Assembly.GetName().Version?.ToString());
        queued = meter.CreateCounter<long>("pandaprobe.items.queued", "{item}", "Items handed to the exporter for delivery.");
        exported = meter.CreateCounter<long>("pandaprobe.items.exported", "{item}", "Items delivered.");
        retried = meter.CreateCounter<long>("pandaprobe.requests.retried", "{request}", "Request attempts that were retried.");
        failed = meter.CreateCounter<long>("pandaprobe.items.failed", "{item}", "Items an exporter gave up on.");
        dropped = meter.CreateCounter<long>("pandaprobe.items.dropped", "{item}", "Items lost, by reason.");
        spooled = meter.CreateCounter<long>("pandaprobe.items.spooled", "{item}", "Items written to the spool for later delivery.");
        replayed = meter.CreateCounter<long>("pandaprobe.items.replayed", "{item}", "Spooled items delivered.");
    }

    /// <summary>Counts items written to the spool because they could not be delivered now.</summary>
    /// <param name="count">How many.</param>
    public void RecordSpooled(long count = 1) { Interlocked.Add(ref spooledCount, count); spooled.Add(count); }

    /// <summary>Counts spooled items delivered by the replay (by this process, whichever process spooled them).</summary>
    /// <param name="count">How many.</param>
    public void RecordReplayed(long count = 1) { Interlocked.Add(ref replayedCount, count); replayed.Add(count); }

    /// <summary>Items written to the spool because they could not be delivered now.</summary>
    public long Spooled => Interlocked.Read(ref spooledCount);

    /// <summary>Spooled items this process delivered.</summary>
    public long Replayed => Interlocked.Read(ref replayedCount);

    /// <summary>Counts items handed to the exporter for delivery.</summary>
    /// <param name="count">How many.</param>
    public void RecordQueued(long count = 1) { Interlocked.Add(ref queuedCount, count); queued.Add(count); }

    /// <summary>Counts delivered items.</summary>
    /// <param name="count">How many.</param>
    public void RecordExported(long count = 1) { Interlocked.Add(ref exportedCount, count); exported.Add(count); }

    /// <summary>Counts a retried request attempt.</summary>
    /// <param name="count">How many.</param>
    public void RecordRetried(long count = 1) { Interlocked.Add(ref retriedCount, count); retried.Add(count); }

    /// <summary>Counts items an exporter gave up on; they are also counted as dropped with <paramref name="reason"/>.</summary>
    /// <param name="reason">Why (see <see cref="PandaProbe.Pipeline.DropReason"/>).</param>
    /// <param name="count">How many.</param>
    public void RecordFailed(DropReason reason, long count = 1)
    {
        Interlocked.Add(ref failedCount, count);
        failed.Add(count);
        RecordDropped(reason, count);
    }

    /// <summary>Counts lost items (for example a queue overflow) with their reason.</summary>
    /// <param name="reason">Why (see <see cref="PandaProbe.Pipeline.DropReason"/>).</param>
    /// <param name="count">How many.</param>
    public void RecordDropped(DropReason reason, long count = 1)
    {
        Interlocked.Add(ref droppedCount, count);
        droppedByReason.AddOrUpdate(reason, count, (_, n) => n + count);
        dropped.Add(count, new KeyValuePair<string, object?>("reason", reason.Name()));
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

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => meter.Dispose();
}
