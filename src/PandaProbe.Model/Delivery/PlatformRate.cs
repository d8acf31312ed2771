using System.Globalization;
using System.Text.RegularExpressions;

namespace PandaProbe.Model.Delivery;

/// <summary>
/// A request rate a platform route accepts: <see cref="Count"/> requests per <see cref="Window"/>. The real platform
/// announces it only in the body of its rate-limit answer (a bare 429, no <c>Retry-After</c>):
/// <c>{"error": "Rate limit exceeded: 100 per 1 minute"}</c>; <see cref="Parse"/> reads that text.
/// </summary>
/// <param name="Count">Requests allowed per window (at least 1).</param>
/// <param name="Window">The window (positive).</param>
internal readonly partial record struct PlatformRate(int Count, TimeSpan Window)
{
    /// <summary>The spacing of requests at exactly this rate.</summary>
    public TimeSpan Interval => Window / Count;

    /// <summary>The rate as people write it: <c>100 per minute</c>.</summary>
    public override string ToString() => $"{Count} {Per}";

    /// <summary>The window as people write it: <c>per minute</c>.</summary>
    public string Per => Window.TotalSeconds switch
    {
        1 => "per second",
        60 => "per minute",
        3600 => "per hour",
        86400 => "per day",
        var s => string.Create(CultureInfo.InvariantCulture, $"per {s:0.###} s"),
    };

    /// <summary>
    /// The rate a 429's body announces (<c>Rate limit exceeded: 100 per 1 minute</c>, as the platform's limiter writes
    /// it; the count of windows may be left out: <c>10 per minute</c>); none when the body holds no such text, or the
    /// numbers are out of range.
    /// </summary>
    /// <param name="body">The response body, if read.</param>
    public static Option<PlatformRate> Parse(string? body)
    {
        if (string.IsNullOrEmpty(body) || body.IndexOf(" per ", StringComparison.OrdinalIgnoreCase) < 0) return None;
        var m = Announced().Match(body);
        if (!m.Success) return None;
        if (!int.TryParse(m.Groups["count"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            return None;
        var windows = 1;
        if (m.Groups["n"].Success && (!int.TryParse(m.Groups["n"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out windows) || windows < 1))
            return None;
        var unit = m.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "second" or "seconds" => TimeSpan.FromSeconds(1),
            "minute" or "minutes" => TimeSpan.FromMinutes(1),
            "hour" or "hours" => TimeSpan.FromHours(1),
            _ => TimeSpan.FromDays(1),
        };
        return windows > 366 ? None : new PlatformRate(count, unit * windows);
    }

    [GeneratedRegex(@"(?<count>[0-9]{1,9})\s+per\s+(?:(?<n>[0-9]{1,4})\s+)?(?<unit>seconds?|minutes?|hours?|days?)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Announced();
}

/// <summary>
/// Paces one route to a <see cref="PlatformRate"/>: a token bucket with room for one request, refilled at
/// <see cref="Share"/> of the rate (a little under it, so that a fixed-window limiter's boundary does not answer 429).
/// Each sender takes a slot with <see cref="Take"/> and waits the delay it is given; slots are handed out in order,
/// so concurrent senders queue instead of bursting. Immutable: every call returns the next state.
/// </summary>
/// <param name="Rate">The rate paced to.</param>
/// <param name="Next">When the next slot is free.</param>
internal sealed record RatePace(PlatformRate Rate, DateTimeOffset Next)
{
    /// <summary>The share of the announced rate used.</summary>
    public const double Share = 0.95;

    /// <summary>The spacing between two requests.</summary>
    public TimeSpan Spacing => TimeSpan.FromTicks((long)Math.Ceiling(Rate.Interval.Ticks / Share));

    /// <summary>
    /// How long a 429 received while paced holds the next slot back: a tenth of the window (at least one spacing). A
    /// fixed-window limiter refuses everything until its window ends, at a phase the client cannot see; waiting a tenth
    /// of the window between tries wastes at most ten requests per full window instead of one per slot.
    /// </summary>
    public TimeSpan Hold => TimeSpan.FromTicks(Math.Max(Spacing.Ticks, Rate.Window.Ticks / 10));

    /// <summary>Pacing that starts after a rate-limit answer received at <paramref name="now"/>: the first slot is <see cref="Hold"/> away.</summary>
    public static RatePace After429(PlatformRate rate, DateTimeOffset now) => new RatePace(rate, now).Throttled(now);

    /// <summary>A 429 while paced (the platform's window is still full): the next slot is at least <see cref="Hold"/> away.</summary>
    public RatePace Throttled(DateTimeOffset now) => now + Hold is var held && held > Next ? this with { Next = held } : this;

    /// <summary>Takes the next slot: how long to wait before sending (zero when one is free now), and the next state.</summary>
    /// <param name="now">The current time.</param>
    public (RatePace Next, TimeSpan Wait) Take(DateTimeOffset now)
    {
        var slot = Next > now ? Next : now;
        return (this with { Next = slot + Spacing }, slot - now);
    }

    /// <summary>The same pacing at a newly announced rate (the slot already handed out stays).</summary>
    public RatePace At(PlatformRate rate) => rate == Rate ? this : this with { Rate = rate };
}

/// <summary>
/// Counts the requests offered to a route since its rate became known, to tell a sustained rate above it from a burst:
/// over at least one whole window, more requests on average than the rate accepts means the backlog only grows.
/// Immutable.
/// </summary>
/// <param name="Since">When counting started (the rate became known).</param>
/// <param name="Count">Requests offered since then.</param>
internal sealed record OfferedRate(DateTimeOffset Since, long Count)
{
    /// <summary><paramref name="count"/> more requests offered.</summary>
    public OfferedRate Offer(int count = 1) => this with { Count = Count + count };

    /// <summary>
    /// True when at least one window of <paramref name="rate"/> has passed since <see cref="Since"/> and the requests
    /// offered meanwhile average more per window than it accepts.
    /// </summary>
    public bool Above(PlatformRate rate, DateTimeOffset now)
    {
        var elapsed = now - Since;
        return elapsed >= rate.Window && Count * (double)rate.Window.Ticks > rate.Count * (double)elapsed.Ticks;
    }
}
