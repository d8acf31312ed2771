namespace PandaProbe.Model.Batching;

/// <summary>What to do with the interval timer after the queue changed.</summary>
internal enum TimerMove
{
    /// <summary>Leave the timer as it is.</summary>
    Keep,
    /// <summary>Arm it: items wait and no timer will export them.</summary>
    Arm,
    /// <summary>Cancel it (shutdown: nothing will wait any more).</summary>
    Cancel,
}

/// <summary>
/// The batching rules as pure functions. The export side wakes only for a full batch, when the interval has run out,
/// or for a flush or shutdown. The interval timer is armed by the first item that finds none armed and is left armed
/// while traffic flows (cancelling and re-arming it per batch would cost a wake-up each time); when it runs out with
/// nothing waiting it is not armed again, so an idle client never wakes.
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
    /// The shortest time between two wake-ups for full batches. A wake-up costs more than exporting a small batch, so
    /// under a burst the export side is woken at most this often and then takes every full batch waiting; traffic
    /// slower than one batch per gap (anything short of thousands of items a second) is exported the moment a batch
    /// fills.
    /// </summary>
    public static readonly TimeSpan BurstGap = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Whether adding an item must wake the export side: only when it completes a batch and no export is under way
    /// (a running export takes the next full batch itself).
    /// </summary>
    /// <param name="queued">Items waiting, the new one included.</param>
    /// <param name="batchSize">Largest batch (at least 1).</param>
    /// <param name="exporting">The export side is awake (scheduled or running).</param>
    public static bool WakeOnAdd(int queued, int batchSize, bool exporting) => !exporting && queued >= Math.Max(1, batchSize);

    /// <summary>
    /// How long to wait before a wake-up for a full batch: none, unless the export side last woke less than
    /// <see cref="BurstGap"/> ago (a burst), and then the rest of the gap; but never while the queue is half full or
    /// more (<see cref="Pressing"/>), where waiting would risk dropping.
    /// </summary>
    /// <param name="sinceLastWake">Time since the export side last woke for a full batch.</param>
    /// <param name="queued">Items waiting.</param>
    /// <param name="capacity">Items the queue holds before it drops the oldest.</param>
    public static TimeSpan WakeDelay(TimeSpan sinceLastWake, int queued, int capacity) =>
        sinceLastWake >= BurstGap || sinceLastWake < TimeSpan.Zero || Pressing(queued, capacity)
            ? TimeSpan.Zero
            : BurstGap - sinceLastWake;

    /// <summary><c>true</c> when the queue is half full or more: a wake-up deferred for a burst is brought forward.</summary>
    /// <param name="queued">Items waiting.</param>
    /// <param name="capacity">Items the queue holds before it drops the oldest.</param>
    public static bool Pressing(int queued, int capacity) => queued >= Math.Max(1, capacity / 2);

    /// <summary>
    /// The timer move after the queue changed: arm it when items wait and none is armed (unless the export side is
    /// awake: it decides again when it goes back to sleep); otherwise leave it (an armed timer that finds nothing
    /// waiting simply lapses); cancel it only when the queue is shutting down.
    /// </summary>
    /// <param name="queued">Items waiting.</param>
    /// <param name="armed">A timer is armed.</param>
    /// <param name="exporting">The export side is awake.</param>
    /// <param name="closing">The queue takes no more items.</param>
    public static TimerMove Timer(int queued, bool armed, bool exporting, bool closing) =>
        closing && armed ? TimerMove.Cancel
        : queued > 0 && !armed && !exporting && !closing ? TimerMove.Arm
        : TimerMove.Keep;
}
