using PandaProbe.Model.Delivery;
using Xunit;

namespace PandaProbe.Unit.Delivery;

/// <summary>The pure rate decisions: reading the platform's announced rate, pacing to it, and telling a sustained excess from a burst.</summary>
public class RatePacingTests
{
    static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("{\"error\": \"Rate limit exceeded: 100 per 1 minute\"}", 100, 60)]
    [InlineData("{\"error\":\"Rate limit exceeded: 200 per 1 minute\"}", 200, 60)]
    [InlineData("Rate limit exceeded: 10 per second", 10, 1)]
    [InlineData("rate limit exceeded: 5 PER 2 Hours", 5, 7200)]
    [InlineData("1000 per 1 day", 1000, 86400)]
    public void The_platform_s_rate_limit_answer_announces_its_rate(string body, int count, int seconds)
    {
        var rate = PlatformRate.Parse(body);
        Assert.True(rate.IsSome);
        Assert.Equal(new PlatformRate(count, TimeSpan.FromSeconds(seconds)), rate.IfNone(default(PlatformRate)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{\"detail\":\"slow down\"}")]
    [InlineData("Rate limit exceeded: 0 per 1 minute")]
    [InlineData("Rate limit exceeded: 10 per 0 minute")]
    [InlineData("Rate limit exceeded: many per minute")]
    public void A_body_without_a_usable_rate_announces_none(string? body) => Assert.True(PlatformRate.Parse(body).IsNone);

    [Fact]
    public void A_429_with_the_rate_in_its_body_carries_it_in_the_decision()
    {
        var decision = Assert.IsType<RetryDecision.Retry>(
            RetryDecision.Classify(429, "{\"error\": \"Rate limit exceeded: 100 per 1 minute\"}", RequestKind.Trace));
        Assert.True(decision.Throttled);
        Assert.Equal(new PlatformRate(100, TimeSpan.FromMinutes(1)), decision.Announced);
        Assert.Null(Assert.IsType<RetryDecision.Retry>(RetryDecision.Classify(429, "{\"detail\":\"slow\"}", RequestKind.Trace)).Announced);
    }

    [Fact]
    public void Pacing_starts_a_tenth_of_the_window_after_the_429_and_hands_out_slots_in_order()
    {
        var rate = new PlatformRate(100, TimeSpan.FromMinutes(1));
        var pace = RatePace.After429(rate, T0);
        Assert.True(pace.Spacing > rate.Interval);   // a little under the rate
        Assert.True(pace.Spacing < rate.Interval * 1.1);
        Assert.Equal(TimeSpan.FromSeconds(6), pace.Hold);

        // Three senders at once: the first waits the hold, each next one spacing longer than the one before.
        var (p1, w1) = pace.Take(T0);
        var (p2, w2) = p1.Take(T0);
        var (p3, w3) = p2.Take(T0);
        Assert.Equal(pace.Hold, w1);
        Assert.Equal(pace.Hold + pace.Spacing, w2);
        Assert.Equal(pace.Hold + pace.Spacing * 2, w3);

        // Another 429 while paced holds the next slot back again; one far ahead stays where it is.
        var later = T0 + TimeSpan.FromSeconds(30);
        Assert.Equal(later + pace.Hold, p3.Throttled(later).Next);
        Assert.Equal(p3.Next, p3.Throttled(T0).Next);
    }

    [Fact]
    public void A_slot_unused_for_a_while_is_not_saved_up_into_a_burst()
    {
        var pace = RatePace.After429(new PlatformRate(10, TimeSpan.FromSeconds(1)), T0);
        var later = T0 + TimeSpan.FromMinutes(5);
        var (next, first) = pace.Take(later);
        var (_, second) = next.Take(later);
        Assert.Equal(TimeSpan.Zero, first);
        Assert.Equal(pace.Spacing, second);
    }

    [Fact]
    public void Paced_sends_never_exceed_the_rate_in_any_window()
    {
        var rate = new PlatformRate(10, TimeSpan.FromSeconds(1));
        var pace = RatePace.After429(rate, T0);
        var random = new Random(7);
        var now = T0;
        var sends = new List<DateTimeOffset>();
        for (var i = 0; i < 500; i++)
        {
            now += TimeSpan.FromMilliseconds(random.Next(0, 150));   // senders arrive at random, often faster than the rate
            (pace, var wait) = pace.Take(now);
            sends.Add(now + wait);
        }
        sends.Sort();
        for (var i = 0; i < sends.Count; i++)
            Assert.True(sends.Count(s => s >= sends[i] && s < sends[i] + rate.Window) <= rate.Count, $"more than {rate.Count} sends in the window from {sends[i]:O}");
    }

    [Fact]
    public void A_burst_is_not_a_sustained_excess_but_an_average_above_the_rate_over_a_window_is()
    {
        var rate = new PlatformRate(100, TimeSpan.FromMinutes(1));
        var offered = new OfferedRate(T0, 0).Offer(500);
        Assert.False(offered.Above(rate, T0 + TimeSpan.FromSeconds(30)));   // less than a window: a burst so far
        Assert.True(offered.Above(rate, T0 + TimeSpan.FromMinutes(2)));     // 250 a minute over two minutes
        Assert.False(offered.Above(rate, T0 + TimeSpan.FromMinutes(6)));    // 83 a minute over six
    }
}

/// <summary>The rate-fit sampler's pure decision.</summary>
public class RateFitTests
{
    static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Before_a_rate_is_known_everything_is_kept()
    {
        var (_, keep) = PandaProbe.Model.Sampling.RateFit.Open.Admit(priority: false, T0);
        Assert.True(keep);
    }

    [Fact]
    public void Over_a_long_run_ordinary_traces_are_kept_at_the_rate_and_every_priority_trace_is_kept()
    {
        var rate = new PlatformRate(10, TimeSpan.FromSeconds(1));
        var fit = PandaProbe.Model.Sampling.RateFit.Open.Learn(rate, T0);
        int kept = 0, priorityKept = 0, priority = 0;
        var now = T0;
        for (var i = 0; i < 3000; i++)   // 100 a second for 30 s, one in ten an error
        {
            now += TimeSpan.FromMilliseconds(10);
            var isPriority = i % 10 == 0;
            (fit, var keep) = fit.Admit(isPriority, now);
            if (isPriority) { priority++; if (keep) priorityKept++; }
            else if (keep) kept++;
        }
        Assert.Equal(priority, priorityKept);
        // 30 s at 9.5 a second is 285, of which the errors took 300: nothing else fits.
        Assert.Equal(0, kept);

        fit = PandaProbe.Model.Sampling.RateFit.Open.Learn(rate, T0);
        kept = 0;
        now = T0;
        for (var i = 0; i < 3000; i++)   // the same without errors
        {
            now += TimeSpan.FromMilliseconds(10);
            (fit, var keep) = fit.Admit(false, now);
            if (keep) kept++;
        }
        Assert.InRange(kept, 280, 290);   // 9.5 a second for 30 s
    }
}

/// <summary>The rate-fit sampler's configuration.</summary>
public class RateFitSettingsTests
{
    [Fact]
    public void The_rate_fit_sampler_and_write_ahead_cannot_be_combined()
    {
        var error = Assert.Throws<ArgumentException>(() => Support.TestClient.Create(o =>
        {
            o.Sampling.FitPlatformRate = true;
            o.Spool.WriteAhead = true;
        }));
        Assert.Equal(nameof(SamplingOptions.FitPlatformRate), error.ParamName);
        Assert.Contains("Spool.WriteAhead", error.Message, StringComparison.Ordinal);
    }
}
