namespace PandaProbe.Model.Batching;

/// <summary>What the export loop should do next.</summary>
/// <param name="Take">How many pending items to export now (0: nothing now).</param>
/// <param name="Wait">When <see cref="Take"/> is 0: how long to sleep unless woken earlier (null: until woken).</param>
public readonly record struct BatchDecision(int Take, TimeSpan? Wait);

/// <summary>
/// The batching rule as a pure function: export when a full batch is waiting, when the flush interval has passed
/// since the last export with anything pending, or at once while a flush or shutdown is draining the queue.
/// The interval is measured from the last export, like the Python SDK, but an idle loop sleeps until woken
/// instead of polling.
/// </summary>
public static class BatchPolicy
{
    /// <summary>Decides the next step.</summary>
    /// <param name="pending">Items waiting.</param>
    /// <param name="batchSize">Largest batch (≥ 1).</param>
    /// <param name="sinceLastExport">Time since the last export finished.</param>
    /// <param name="interval">The flush interval.</param>
    /// <param name="draining">True while a flush or shutdown wants everything out now.</param>
    public static BatchDecision Decide(int pending, int batchSize, TimeSpan sinceLastExport, TimeSpan interval, bool draining)
    {
        var size = Math.Max(1, batchSize);
        if (pending <= 0) return new BatchDecision(0, null);
        if (pending >= size || draining || sinceLastExport >= interval) return new BatchDecision(Math.Min(pending, size), null);
        return new BatchDecision(0, interval - sinceLastExport);
    }
}
