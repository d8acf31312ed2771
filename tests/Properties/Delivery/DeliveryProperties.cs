using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;

namespace PandaProbe.Properties.Delivery;

/// <summary>
/// Bounds of the pure delivery functions, checked over generated inputs (<see cref="DeliveryInputs"/>). They are cheap,
/// so each runs at least 300 cases.
/// </summary>
public class DeliveryProperties
{
    const int Cases = 300;

    [TraceProperty(AtLeast = Cases)]
    public bool Backoff_Delay_Meets_Specification(BackoffInput x)
    {
        var baseDelay = TimeSpan.FromMilliseconds(x.BaseMs);
        var max = TimeSpan.FromMilliseconds(x.MaxMs);
        var mode = x.Full ? JitterMode.Full : JitterMode.Equal;
        var d = Backoff.Delay(x.Attempt, baseDelay, max, x.Jitter, mode);
        var exponential = Math.Min(x.BaseMs * Math.Pow(2, Math.Clamp(x.Attempt, 0, 62)), x.MaxMs);
        var lowerMs = mode == JitterMode.Full ? 0 : Math.Min(x.BaseMs, x.MaxMs) / 2d;
        return d >= TimeSpan.Zero && d <= max
               && d.TotalMilliseconds <= exponential + 0.001
               && d.TotalMilliseconds >= lowerMs - 0.001;
    }

    [TraceProperty(AtLeast = Cases)]
    public bool Backoff_Delay_Is_The_Capped_Exponential_Jittered_Meets_Specification(BackoffInput x, JitterDraw j)
    {
        var jitter = j.Millionths / 1_000_000d;
        var mode = x.Full ? JitterMode.Full : JitterMode.Equal;
        var d = Backoff.Delay(x.Attempt, TimeSpan.FromMilliseconds(x.BaseMs), TimeSpan.FromMilliseconds(x.MaxMs), jitter, mode);
        var capped = Math.Min(Math.Min(x.BaseMs, x.MaxMs) * Math.Pow(2, Math.Clamp(x.Attempt, 0, 62)), x.MaxMs);
        var expected = mode == JitterMode.Full ? capped * jitter : capped / 2 + capped / 2 * jitter;
        return Math.Abs(d.TotalMilliseconds - expected) <= 0.001;
    }

    [TraceProperty(AtLeast = Cases)]
    public bool Backoff_Delay_Grows_With_The_Attempt_Meets_Specification(BackoffInput x)
    {
        var baseDelay = TimeSpan.FromMilliseconds(x.BaseMs);
        var max = TimeSpan.FromMilliseconds(x.MaxMs);
        var mode = x.Full ? JitterMode.Full : JitterMode.Equal;
        return Backoff.Delay(x.Attempt + 1, baseDelay, max, x.Jitter, mode) >= Backoff.Delay(x.Attempt, baseDelay, max, x.Jitter, mode);
    }

    [TraceProperty(AtLeast = Cases)]
    public bool Backoff_Survives_Extreme_Inputs(int attempt, long ticks, double jitter)
    {
        var max = TimeSpan.FromTicks(Math.Abs(ticks % TimeSpan.FromDays(1).Ticks));
        var d = Backoff.Delay(attempt, TimeSpan.FromTicks(ticks), max, jitter);
        return d >= TimeSpan.Zero && d <= max;
    }

    [TraceProperty(AtLeast = Cases)]
    public bool RetryAfter_Seconds_Are_Read_And_Capped_Meets_Specification(RetrySeconds seconds, CapSeconds capSeconds)
    {
        var cap = TimeSpan.FromSeconds(capSeconds.Value);
        var parsed = RetryAfter.Parse(seconds.Value.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UnixEpoch, cap);
        return parsed == Prelude.Some(TimeSpan.FromSeconds(Math.Min(seconds.Value, capSeconds.Value)));
    }

    [TraceProperty(AtLeast = Cases)]
    public bool RetryAfter_Http_Dates_Are_Read_And_Capped_Meets_Specification(DateOffset offset, CapSeconds capSeconds)
    {
        var now = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        var cap = TimeSpan.FromSeconds(capSeconds.Value);
        var header = now.AddSeconds(offset.Seconds).ToString("r", CultureInfo.InvariantCulture);
        var expected = TimeSpan.FromSeconds(Math.Clamp(offset.Seconds, 0, capSeconds.Value));
        return RetryAfter.Parse(header, now, cap) == Prelude.Some(expected);
    }

    [TraceProperty(AtLeast = Cases)]
    public bool RetryAfter_Never_Exceeds_The_Cap(string header, CapSeconds capSeconds)
    {
        var cap = TimeSpan.FromSeconds(capSeconds.Value);
        return RetryAfter.Parse(header, DateTimeOffset.UnixEpoch, cap).Match(d => d >= TimeSpan.Zero && d <= cap, () => true);
    }

    [TraceProperty(AtLeast = Cases)]
    public bool AdaptiveLimit_Stays_Within_Bounds_Meets_Specification(LimitMax limitMax, bool[] answers)
    {
        var max = limitMax.Value;
        var limit = AdaptiveLimit.Start(max, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        foreach (var throttled in answers)
        {
            var before = limit;
            limit = throttled ? limit.OnThrottled() : limit.OnSuccess();
            if (limit.Allowed < 1 || limit.Allowed > max || limit.Window < 1 || limit.Window > max) return false;
            // A throttle always slows down: a narrower window, or at one request a longer pause (up to the cap).
            if (throttled && before.Allowed >= 2 && limit.Allowed >= before.Allowed) return false;
            if (throttled && before.Allowed == 1 && before.Pause < before.MaxPause && limit.Pause <= before.Pause) return false;
            if (limit.Pause < TimeSpan.Zero || limit.Pause > limit.MaxPause) return false;
            // A throttle never widens; a success never narrows.
            if (throttled && (limit.Allowed > before.Allowed || limit.Pause < before.Pause)) return false;
            if (!throttled && (limit.Allowed < before.Allowed || limit.Pause > before.Pause)) return false;
        }
        return true;
    }

    [TraceProperty(AtLeast = Cases)]
    public bool AdaptiveLimit_Recovers_Fully_After_Throttling(Throttling t)
    {
        var (max, throttles) = (t.Max, t.Throttles);
        var limit = AdaptiveLimit.Start(max, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        for (var i = 0; i < throttles; i++) limit = limit.OnThrottled();
        for (var i = 0; i < 64 + max * max; i++) limit = limit.OnSuccess();
        return limit.Allowed == max && limit.Pause == TimeSpan.Zero;
    }

    [TraceProperty(AtLeast = Cases)]
    public bool SpanChunks_Lose_Nothing_Repeat_Nothing_And_Respect_The_Limit(Chunking input)
    {
        var (count, size) = (input.Count, input.Size);
        var traceId = TraceId.New();
        var spans = Enumerable.Range(0, count)
            .Select(i => new Span { Id = SpanId.New(), Trace = traceId, Name = "s", StartedAt = DateTimeOffset.UnixEpoch })
            .ToArray();
        var chunks = SpanChunks.Split(spans, size);
        var flat = chunks.First.Concat(chunks.Rest.Bind(c => c)).Select(s => s.Id).ToArray();
        return flat.SequenceEqual(spans.Select(s => s.Id))
               && chunks.First.Count <= size
               && chunks.Rest.ForAll(c => c.Count >= 1 && c.Count <= size)
               && (chunks.Rest.IsEmpty || chunks.First.Count == size);
    }
}
