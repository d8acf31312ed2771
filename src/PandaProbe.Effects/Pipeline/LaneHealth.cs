namespace PandaProbe.Pipeline;

/// <summary>
/// One lane's counters, written by that lane only (its deliveries run one at a time) and read by
/// <see cref="PipelineCounters.Snapshot"/>: what its exporter did, since the start and since the last flush reached it,
/// and the times and text of its last success and failure, from which <see cref="Read"/> derives its state.
/// </summary>
internal sealed class LaneHealth(string name, TimeProvider time, TimeSpan hungAfter)
{
    /// <summary>How many deliveries in a row that lost everything make an exporter unhealthy.</summary>
    public const int FailuresForUnhealthy = 3;

    readonly object gate = new();
    ExporterHealth.Counts total, atFlush;
    long pending, lastSuccess, lastFailure, running;   // times in UTC ticks, 0 for never
    string? lastError;
    int failuresInARow;
    bool droppedSinceSuccess, partial;

    /// <summary>Items handed to the lane.</summary>
    public void Given(int items) => Interlocked.Add(ref pending, items);

    /// <summary>An export starts (for the hung test).</summary>
    public void Started() => Volatile.Write(ref running, time.GetUtcNow().UtcTicks);

    /// <summary>What the exporter's result said about <paramref name="items"/> items.</summary>
    public void Exported(int items, int exported, int failed, int spooled, string? error)
    {
        var now = time.GetUtcNow().UtcTicks;
        lock (gate)
        {
            total = total with { Exported = total.Exported + exported, Failed = total.Failed + failed, Spooled = total.Spooled + spooled };
            if (failed > 0)
            {
                lastFailure = now;
                lastError = error;
            }
            if (failed >= items && items > 0) failuresInARow++;
            else
            {
                failuresInARow = 0;
                lastSuccess = now;
                droppedSinceSuccess = false;
            }
            partial = failed > 0;   // spooled items are not lost: the exporter says itself when it is in an outage (IDurableExporter.Problem)
        }
        Volatile.Write(ref running, 0);
        Interlocked.Add(ref pending, -items);
    }

    /// <summary>Items the lane dropped before the exporter tried them (or spooled, for the platform exporter).</summary>
    public void Dropped(int items, int spooled, string why)
    {
        lock (gate)
        {
            total = total with { Dropped = total.Dropped + items - spooled, Spooled = total.Spooled + spooled };
            if (items > spooled)
            {
                lastFailure = time.GetUtcNow().UtcTicks;
                lastError = why;
                droppedSinceSuccess = true;
            }
        }
        Interlocked.Add(ref pending, -items);
    }

    /// <summary>A flush (or the shutdown) reached the lane: the "since flush" counts start again.</summary>
    public void Flushed()
    {
        lock (gate) atFlush = total;
    }

    /// <summary>The exporter's health now; <paramref name="own"/> is what the exporter says of itself (an outage), if anything.</summary>
    public ExporterHealth Read(string? own)
    {
        var now = time.GetUtcNow().UtcTicks;
        var since = Volatile.Read(ref running);
        lock (gate)
        {
            var (state, problem) =
                since != 0 && hungAfter > TimeSpan.Zero && now - since > hungAfter.Ticks
                    ? (ExporterHealth.Condition.Unhealthy, $"an export has run for {TimeSpan.FromTicks(now - since).TotalSeconds:0} s, longer than the export timeout ({hungAfter.TotalSeconds:0.###} s)")
                : failuresInARow >= FailuresForUnhealthy
                    ? (ExporterHealth.Condition.Unhealthy, $"its last {failuresInARow} deliveries all failed: {lastError}")
                : own is not null ? (ExporterHealth.Condition.Degraded, own)
                : droppedSinceSuccess ? (ExporterHealth.Condition.Degraded, $"its lane dropped items since its last success: {lastError}")
                : partial ? (ExporterHealth.Condition.Degraded, $"its last delivery was partly lost: {lastError}")
                : (ExporterHealth.Condition.Healthy, (string?)null);
            var sinceFlush = new ExporterHealth.Counts(total.Exported - atFlush.Exported, total.Failed - atFlush.Failed,
                total.Spooled - atFlush.Spooled, total.Dropped - atFlush.Dropped);
            return new ExporterHealth(name, state, problem, total, sinceFlush, Math.Max(0, Interlocked.Read(ref pending)),
                At(lastSuccess), At(lastFailure), lastError);
        }
    }

    static DateTimeOffset? At(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
}
