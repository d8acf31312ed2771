namespace PandaProbe.Model.Delivery;

/// <summary>
/// The adaptive send limit (AIMD, as TCP congestion control): a concurrency window in [1, <see cref="Max"/>] and,
/// once the window is down to one request, a pause between requests. A throttling answer (429) halves the window,
/// or at one request doubles the pause; each success first shrinks the pause, then grows the window by about one
/// request per window's worth of successes. Immutable: every transition returns a new value.
/// </summary>
internal sealed record AdaptiveLimit
{
    private AdaptiveLimit(double window, int max, TimeSpan pause, TimeSpan minPause, TimeSpan maxPause)
    {
        Window = window; Max = max; Pause = pause; MinPause = minPause; MaxPause = maxPause;
    }

    /// <summary>The concurrency window (fractional while recovering).</summary>
    public double Window { get; }
    /// <summary>The largest window: the configured maximum of concurrent requests.</summary>
    public int Max { get; }
    /// <summary>The pause before each request while throttled at one request; zero when not throttled.</summary>
    public TimeSpan Pause { get; }
    /// <summary>The first pause used when throttled at one request.</summary>
    public TimeSpan MinPause { get; }
    /// <summary>The longest pause.</summary>
    public TimeSpan MaxPause { get; }

    /// <summary>How many requests may be in flight now: the window rounded down, at least 1.</summary>
    public int Allowed => (int)Math.Clamp(Math.Floor(Window), 1d, Max);

    /// <summary>A fresh limit at full concurrency and no pause.</summary>
    /// <param name="max">The maximum concurrency (values below 1 count as 1).</param>
    /// <param name="minPause">The first pause once throttled at one request (negative counts as zero).</param>
    /// <param name="maxPause">The longest pause (at least <paramref name="minPause"/>).</param>
    public static AdaptiveLimit Start(int max, TimeSpan minPause, TimeSpan maxPause)
    {
        var m = Math.Max(1, max);
        var min = minPause < TimeSpan.Zero ? TimeSpan.Zero : minPause;
        var top = maxPause < min ? min : maxPause;
        return new AdaptiveLimit(m, m, TimeSpan.Zero, min, top);
    }

    /// <summary>After a throttling answer: halve the window, or at one request start or double the pause.</summary>
    public AdaptiveLimit OnThrottled() =>
        Window >= 2
            ? new AdaptiveLimit(Math.Max(1d, Window / 2), Max, Pause, MinPause, MaxPause)
            : new AdaptiveLimit(1d, Max, NextPause(), MinPause, MaxPause);

    /// <summary>After a success: halve the pause (to zero below the minimum), else grow the window additively.</summary>
    public AdaptiveLimit OnSuccess()
    {
        if (Pause > TimeSpan.Zero)
        {
            var half = TimeSpan.FromTicks(Pause.Ticks / 2);
            return new AdaptiveLimit(Window, Max, half < MinPause || half == TimeSpan.Zero ? TimeSpan.Zero : half, MinPause, MaxPause);
        }
        return new AdaptiveLimit(Math.Min(Max, Window + 1d / Math.Max(1d, Window)), Max, TimeSpan.Zero, MinPause, MaxPause);
    }

    private TimeSpan NextPause()
    {
        if (Pause == TimeSpan.Zero) return MinPause == TimeSpan.Zero ? MaxPause : MinPause;
        return Pause.Ticks >= MaxPause.Ticks / 2 ? MaxPause : TimeSpan.FromTicks(Pause.Ticks * 2);
    }
}
