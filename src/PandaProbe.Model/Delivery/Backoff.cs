namespace PandaProbe.Model.Delivery;

/// <summary>How a backoff delay is randomised.</summary>
internal enum JitterMode
{
    /// <summary>Uniform in [0, d]: spreads retries the most.</summary>
    Full,
    /// <summary>Uniform in [d/2, d]: keeps the exponential growth while still spreading retries.</summary>
    Equal,
}

/// <summary>Exponential backoff with jitter as a pure function; the random source is a parameter.</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before retry number <paramref name="attempt"/> (0 for the first retry): <c>baseDelay·2^attempt</c>,
    /// capped at <paramref name="maxDelay"/>, then jittered by <paramref name="jitter01"/>. Never overflows, never
    /// negative, never above <paramref name="maxDelay"/>.
    /// </summary>
    /// <param name="attempt">The retry number, from 0; negative counts as 0.</param>
    /// <param name="baseDelay">The first delay before jitter; negative counts as zero.</param>
    /// <param name="maxDelay">The cap; negative counts as zero.</param>
    /// <param name="jitter01">A random number in [0, 1]; values outside are clamped, NaN counts as 1.</param>
    /// <param name="mode">How the jitter applies.</param>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double jitter01, JitterMode mode = JitterMode.Equal)
    {
        var maxTicks = Math.Max(0L, maxDelay.Ticks);
        var baseTicks = Math.Clamp(baseDelay.Ticks, 0L, maxTicks);
        var exponent = Math.Clamp(attempt, 0, 62);
        // Computed in double: 2^62 · ticks overflows long but not double; the cap then brings it back in range.
        var raw = Math.Min(baseTicks * Math.Pow(2, exponent), maxTicks);
        var j = double.IsNaN(jitter01) ? 1d : Math.Clamp(jitter01, 0d, 1d);
        var jittered = mode == JitterMode.Full ? raw * j : raw / 2 + raw / 2 * j;
        return TimeSpan.FromTicks((long)Math.Clamp(jittered, 0d, maxTicks));
    }
}
