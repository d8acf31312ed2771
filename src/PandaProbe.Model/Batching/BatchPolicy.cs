namespace PandaProbe.Model.Batching;

/// <summary>What to do with the interval timer after the queue changed.</summary>
internal enum TimerMove
{
    /// <summary>Leave the timer as it is.</summary>
    Keep,
    /// <summary>Arm it: items wait and no timer will export them.</summary>
    Arm,
    /// <summary>Cancel it: nothing waits, so it would wake the export side for nothing.</summary>
    Cancel,
}

/// <summary>
/// The batching rules as pure functions. The export side wakes only for a full batch, when the interval has run out
/// since the oldest waiting item arrived, or for a flush or shutdown; with nothing waiting it never wakes (the timer is
/// armed only while items wait).
/// </summary>
internal static class BatchPolicy
{
    /// <summary>How many queued items the next batch takes (0: wait).</summary>
    /// <param name="queued">Items waiting.</param>
    /// <param name="batchSize">Largest batch (at least 1).</param>
    /// <param name="intervalDue">The interval has run out for the items waiting.</param>
    /// <param name="draining">A flush or shutdown wants everything out now.</param>
    public static int Take(int queued, int batchSize, bool intervalDue, bool draining)
    {
        var size = Math.Max(1, batchSize);
        if (queued <= 0) return 0;
        if (queued >= size) return size;
        return intervalDue || draining ? queued : 0;
    }

    /// <summary>
    /// Whether adding an item must wake the export side now: only when it completes a batch and no export is under way
    /// (a running export takes the next full batch itself).
    /// </summary>
    /// <param name="queued">Items waiting, the new one included.</param>
    /// <param name="batchSize">Largest batch (at least 1).</param>
    /// <param name="exporting">The export side is awake (scheduled or running).</param>
    public static bool WakeOnAdd(int queued, int batchSize, bool exporting) => !exporting && queued >= Math.Max(1, batchSize);

    /// <summary>The timer move that keeps "armed while items wait, never otherwise" true.</summary>
    /// <param name="queued">Items waiting.</param>
    /// <param name="armed">A timer is armed.</param>
    /// <param name="exporting">The export side is awake (it re-decides when it goes back to sleep).</param>
    public static TimerMove Timer(int queued, bool armed, bool exporting) =>
        queued > 0 && !armed && !exporting ? TimerMove.Arm
        : queued == 0 && armed ? TimerMove.Cancel
        : TimerMove.Keep;
}
