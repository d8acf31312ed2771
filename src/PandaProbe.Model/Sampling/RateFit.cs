using PandaProbe.Model.Delivery;

namespace PandaProbe.Model.Sampling;

/// <summary>
/// The rate-fit sampler's decision, pure: keeps completed traces at the rate the platform accepts (a token bucket
/// refilled at <see cref="RatePace.Share"/> of it, holding at most one window's worth), errors and scored traces first.
/// A priority trace is always kept and takes a token (the bucket may go into debt, down to one window's worth), so the
/// other traces give way to it; another trace is kept only while a token is left. Before the platform has announced a
/// rate, everything is kept. Immutable.
/// </summary>
/// <param name="Rate">The rate fitted to; null until the platform announced one.</param>
/// <param name="Tokens">Traces that may still be kept now (negative: a debt that priority traces ran up).</param>
/// <param name="At">When <see cref="Tokens"/> was last brought up to date.</param>
internal sealed record RateFit(PlatformRate? Rate, double Tokens, DateTimeOffset At)
{
    /// <summary>Keeps everything until a rate is known.</summary>
    public static RateFit Open { get; } = new(null, 0, DateTimeOffset.MinValue);

    /// <summary>Fits to <paramref name="rate"/> from <paramref name="now"/> on (the window has just been found full: no tokens).</summary>
    public RateFit Learn(PlatformRate rate, DateTimeOffset now) =>
        Rate == rate ? this : new RateFit(rate, Rate is null ? 0 : Math.Min(Tokens, rate.Count), now);

    /// <summary>Whether a completed trace is kept, and the next state.</summary>
    /// <param name="priority">An error or a scored trace: always kept.</param>
    /// <param name="now">The current time.</param>
    public (RateFit Next, bool Keep) Admit(bool priority, DateTimeOffset now)
    {
        if (Rate is not { } rate) return (this, true);
        var perTick = rate.Count * RatePace.Share / rate.Window.Ticks;
        var tokens = Math.Min(rate.Count, Tokens + (now > At ? (now - At).Ticks * perTick : 0));
        if (priority) return (new RateFit(rate, Math.Max(-rate.Count, tokens - 1), now), true);
        return tokens >= 1 ? (new RateFit(rate, tokens - 1, now), true) : (new RateFit(rate, tokens, now), false);
    }
}
