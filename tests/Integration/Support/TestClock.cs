namespace PandaProbe.Integration.Support;

/// <summary>
/// The system clock, except that every timer whose due time is not the request timeout fires after 1 ms. The
/// requested due times are recorded, so a test can see which backoff or Retry-After wait the exporter chose
/// without waiting for it.
/// </summary>
public sealed class TestClock(TimeSpan requestTimeout) : TimeProvider
{
    private readonly List<TimeSpan> waits = [];

    /// <summary>The waits (backoff, Retry-After, pauses) requested so far, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits { get { lock (waits) return waits.ToArray(); } }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == requestTimeout || dueTime == Timeout.InfiniteTimeSpan)
            return System.CreateTimer(callback, state, dueTime, period);
        lock (waits) waits.Add(dueTime);
        return System.CreateTimer(callback, state, TimeSpan.FromMilliseconds(1), period);
    }
}
