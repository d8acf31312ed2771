using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;

namespace PandaProbe.Properties.Delivery;

/// <summary>Bounds of the pure delivery functions, checked over generated inputs.</summary>
public class DeliveryProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true);

    private static readonly Arbitrary<(int Attempt, long BaseMs, long MaxMs, double Jitter, bool Full)> BackoffInputs =
        (from attempt in Gen.Choose(-5, 200)
         from baseMs in Gen.Choose(0, 100_000)
         from maxMs in Gen.Choose(0, 1_000_000)
         from jitter in Gen.Choose(0, 1000).Select(j => j / 1000d)
         from full in ArbMap.Default.GeneratorFor<bool>()
         select (attempt, (long)baseMs, (long)maxMs, jitter, full)).ToArbitrary();

    [Fact]
    public void Backoff_Delay_Meets_Specification() =>
        Prop.ForAll(BackoffInputs, x =>
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
        }).Check(Config);

    [Fact]
    public void Backoff_Delay_Is_The_Capped_Exponential_Jittered_Meets_Specification() =>
        Prop.ForAll(BackoffInputs, Gen.Choose(0, 1_000_000).ToArbitrary(), (x, j) =>
        {
            var jitter = j / 1_000_000d;
            var mode = x.Full ? JitterMode.Full : JitterMode.Equal;
            var d = Backoff.Delay(x.Attempt, TimeSpan.FromMilliseconds(x.BaseMs), TimeSpan.FromMilliseconds(x.MaxMs), jitter, mode);
            var capped = Math.Min(Math.Min(x.BaseMs, x.MaxMs) * Math.Pow(2, Math.Clamp(x.Attempt, 0, 62)), x.MaxMs);
            var expected = mode == JitterMode.Full ? capped * jitter : capped / 2 + capped / 2 * jitter;
            return Math.Abs(d.TotalMilliseconds - expected) <= 0.001;
        }).Check(Config);

    [Fact]
    public void Backoff_Delay_Grows_With_The_Attempt_Meets_Specification() =>
        Prop.ForAll(BackoffInputs, x =>
        {
            var baseDelay = TimeSpan.FromMilliseconds(x.BaseMs);
            var max = TimeSpan.FromMilliseconds(x.MaxMs);
            var mode = x.Full ? JitterMode.Full : JitterMode.Equal;
            return Backoff.Delay(x.Attempt + 1, baseDelay, max, x.Jitter, mode) >= Backoff.Delay(x.Attempt, baseDelay, max, x.Jitter, mode);
        }).Check(Config);

    [Fact]
    public void Backoff_Survives_Extreme_Inputs() =>
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), ArbMap.Default.ArbFor<long>(), ArbMap.Default.ArbFor<double>(), (attempt, ticks, jitter) =>
        {
            var max = TimeSpan.FromTicks(Math.Abs(ticks % TimeSpan.FromDays(1).Ticks));
            var d = Backoff.Delay(attempt, TimeSpan.FromTicks(ticks), max, jitter);
            return d >= TimeSpan.Zero && d <= max;
        }).Check(Config);

    [Fact]
    public void RetryAfter_Seconds_Are_Read_And_Capped_Meets_Specification() =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(0, 3600).ToArbitrary(), (seconds, capSeconds) =>
        {
            var cap = TimeSpan.FromSeconds(capSeconds);
            var parsed = RetryAfter.Parse(seconds.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UnixEpoch, cap);
            return parsed == Prelude.Some(TimeSpan.FromSeconds(Math.Min(seconds, capSeconds)));
        }).Check(Config);

    [Fact]
    public void RetryAfter_Http_Dates_Are_Read_And_Capped_Meets_Specification() =>
        Prop.ForAll(Gen.Choose(-100_000, 100_000).ToArbitrary(), Gen.Choose(0, 3600).ToArbitrary(), (offsetSeconds, capSeconds) =>
        {
            var now = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
            var cap = TimeSpan.FromSeconds(capSeconds);
            var header = now.AddSeconds(offsetSeconds).ToString("r", CultureInfo.InvariantCulture);
            var expected = TimeSpan.FromSeconds(Math.Clamp(offsetSeconds, 0, capSeconds));
            return RetryAfter.Parse(header, now, cap) == Prelude.Some(expected);
        }).Check(Config);

    [Fact]
    public void RetryAfter_Never_Exceeds_The_Cap() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), Gen.Choose(0, 3600).ToArbitrary(), (header, capSeconds) =>
        {
            var cap = TimeSpan.FromSeconds(capSeconds);
            return RetryAfter.Parse(header, DateTimeOffset.UnixEpoch, cap).Match(d => d >= TimeSpan.Zero && d <= cap, () => true);
        }).Check(Config);

    [Fact]
    public void AdaptiveLimit_Stays_Within_Bounds_Meets_Specification() =>
        Prop.ForAll(
            Gen.Choose(1, 64).ToArbitrary(),
            ArbMap.Default.ArbFor<bool[]>(),
            (max, answers) =>
            {
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
            }).Check(Config);

    [Fact]
    public void AdaptiveLimit_Recovers_Fully_After_Throttling() =>
        Prop.ForAll(Gen.Choose(1, 32).ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (max, throttles) =>
        {
            var limit = AdaptiveLimit.Start(max, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
            for (var i = 0; i < throttles; i++) limit = limit.OnThrottled();
            for (var i = 0; i < 64 + max * max; i++) limit = limit.OnSuccess();
            return limit.Allowed == max && limit.Pause == TimeSpan.Zero;
        }).Check(Config);

    [Fact]
    public void SpanChunks_Lose_Nothing_Repeat_Nothing_And_Respect_The_Limit() =>
        Prop.ForAll(Gen.Choose(0, 2600).ToArbitrary(), Gen.Choose(1, 700).ToArbitrary(), (count, size) =>
        {
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
        }).Check(Config);
}
