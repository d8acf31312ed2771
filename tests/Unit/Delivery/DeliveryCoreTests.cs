using PandaProbe.Pipeline;
using PandaProbe.Model.Enrichment;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Delivery;

public class RetryDecisionTests
{
    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(202)]
    public void Success_statuses(int status) =>
        Assert.IsType<RetryDecision.Success>(RetryDecision.Classify(status, null, RequestKind.Trace));

    [Theory]
    [InlineData(401, DropReason.Unauthorized)]
    [InlineData(403, DropReason.Forbidden)]
    [InlineData(422, DropReason.Invalid)]
    [InlineData(400, DropReason.PlatformRejected)]
    [InlineData(409, DropReason.PlatformRejected)]
    [InlineData(413, DropReason.PlatformRejected)]
    [InlineData(301, DropReason.PlatformRejected)]
    [InlineData(404, DropReason.NotFound)]
    public void Permanent_failures_of_a_trace_post_are_dropped_with_their_reason(int status, DropReason reason)
    {
        var drop = Assert.IsType<RetryDecision.Drop>(RetryDecision.Classify(status, "{\"detail\":\"x\"}", RequestKind.Trace));
        Assert.Equal(reason, drop.Reason);
        Assert.Contains($"HTTP {status}", drop.Detail);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(408)]
    public void Server_errors_are_retried_without_throttling(int status)
    {
        var retry = Assert.IsType<RetryDecision.Retry>(RetryDecision.Classify(status, null, RequestKind.Trace));
        Assert.False(retry.Throttled);
        Assert.False(retry.IngestionLag);
    }

    [Fact]
    public void A_rate_limit_429_is_a_throttled_retry() =>
        Assert.True(Assert.IsType<RetryDecision.Retry>(
            RetryDecision.Classify(429, "{\"error\":\"Rate limit exceeded: 100 per 1 minute\"}", RequestKind.Trace)).Throttled);

    [Fact]
    public void A_quota_429_is_not_retried() =>
        Assert.IsType<RetryDecision.Quota>(
            RetryDecision.Classify(429, "{\"detail\":\"Usage quota exceeded for this period\"}", RequestKind.Trace));

    [Theory]
    [InlineData((int)RequestKind.AddSpans, 404)]
    [InlineData((int)RequestKind.Score, 404)]
    [InlineData((int)RequestKind.Score, 500)]
    public void Ingestion_lag_answers_are_retried_for_add_spans_and_scores(int kind, int status) =>
        Assert.True(Assert.IsType<RetryDecision.Retry>(RetryDecision.Classify(status, null, (RequestKind)kind)).IngestionLag);

    [Fact]
    public void A_trace_500_is_a_plain_retry() =>
        Assert.False(Assert.IsType<RetryDecision.Retry>(RetryDecision.Classify(500, null, RequestKind.Trace)).IngestionLag);

    [Fact]
    public void Network_errors_are_retried() =>
        Assert.IsType<RetryDecision.Retry>(RetryDecision.NetworkError("connection refused"));

    [Fact]
    public void The_detail_keeps_at_most_500_characters_of_the_body()
    {
        var drop = Assert.IsType<RetryDecision.Drop>(RetryDecision.Classify(422, new string('x', 2000), RequestKind.Trace));
        Assert.Equal("HTTP 422: ".Length + RetryDecision.MaxBodyDetail, drop.Detail.Length);
    }
}

public class BackoffTests
{
    private static readonly TimeSpan Half = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Thirty = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 500)]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(3, 4000)]
    [InlineData(10, 30000)]
    [InlineData(int.MaxValue, 30000)]
    public void Full_jitter_at_one_is_the_capped_exponential(int attempt, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Delay(attempt, Half, Thirty, 1.0, JitterMode.Full));

    [Fact]
    public void Full_jitter_at_zero_is_zero() =>
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(3, Half, Thirty, 0.0, JitterMode.Full));

    [Fact]
    public void Equal_jitter_keeps_at_least_half() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1000), Backoff.Delay(2, Half, Thirty, 0.0, JitterMode.Equal));

    [Fact]
    public void Out_of_range_inputs_are_clamped()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), Backoff.Delay(-5, Half, Thirty, 7.0, JitterMode.Full));
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(1, Half, TimeSpan.FromSeconds(-1), 1.0));
        Assert.Equal(Thirty, Backoff.Delay(62, TimeSpan.MaxValue, Thirty, double.NaN, JitterMode.Full));
    }
}

public class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("5", 5)]
    [InlineData(" 12 ", 12)]
    [InlineData("1.5", 1.5)]
    [InlineData("3600", 60)]
    [InlineData("99999999999999999999", 60)]
    public void Seconds_are_read_and_capped(string header, double seconds) =>
        Assert.Equal(Some(TimeSpan.FromSeconds(seconds)), RetryAfter.Parse(header, Now, Cap));

    [Theory]
    [InlineData("Sun, 22 Nov 2026 10:00:30 GMT", 30)]
    [InlineData("Sunday, 22-Nov-26 10:00:07 GMT", 7)]
    [InlineData("Sun Nov 22 10:00:09 2026", 9)]
    [InlineData("Sun, 22 Nov 2026 09:00:00 GMT", 0)]
    [InlineData("Mon, 23 Nov 2026 10:00:00 GMT", 60)]
    public void Http_dates_are_read_relative_to_now_and_capped(string header, double seconds) =>
        Assert.Equal(Some(TimeSpan.FromSeconds(seconds)), RetryAfter.Parse(header, Now, Cap));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Malformed_values_are_ignored(string? header) =>
        Assert.True(RetryAfter.Parse(header, Now, Cap).IsNone);
}

public class AdaptiveLimitTests
{
    [Fact]
    public void Starts_at_full_concurrency_without_pause()
    {
        var limit = AdaptiveLimit.Start(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        Assert.Equal(4, limit.Allowed);
        Assert.Equal(TimeSpan.Zero, limit.Pause);
    }

    [Fact]
    public void Throttling_halves_down_to_one_then_pauses_doubling_up_to_the_cap()
    {
        var limit = AdaptiveLimit.Start(8, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350));
        limit = limit.OnThrottled();
        Assert.Equal(4, limit.Allowed);
        limit = limit.OnThrottled().OnThrottled();
        Assert.Equal(1, limit.Allowed);
        Assert.Equal(TimeSpan.Zero, limit.Pause);
        limit = limit.OnThrottled();
        Assert.Equal(TimeSpan.FromMilliseconds(100), limit.Pause);
        limit = limit.OnThrottled();
        Assert.Equal(TimeSpan.FromMilliseconds(200), limit.Pause);
        limit = limit.OnThrottled();
        Assert.Equal(TimeSpan.FromMilliseconds(350), limit.Pause);
    }

    [Fact]
    public void Success_removes_the_pause_first_then_grows_the_window_additively()
    {
        var limit = AdaptiveLimit.Start(4, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        for (var i = 0; i < 4; i++) limit = limit.OnThrottled();
        Assert.Equal(TimeSpan.FromMilliseconds(200), limit.Pause);
        limit = limit.OnSuccess();
        Assert.Equal(TimeSpan.FromMilliseconds(100), limit.Pause);
        limit = limit.OnSuccess();
        Assert.Equal(TimeSpan.Zero, limit.Pause);
        Assert.Equal(1, limit.Allowed);
        limit = limit.OnSuccess();
        Assert.Equal(2, limit.Allowed);
        limit = limit.OnSuccess();
        Assert.Equal(2, limit.Allowed); // 2.5: about one more request per window of successes
        for (var i = 0; i < 50; i++) limit = limit.OnSuccess();
        Assert.Equal(4, limit.Allowed);
    }
}

public class SpanChunksTests
{
    private static TraceRecord TraceWith(int spans)
    {
        var id = TraceId.New();
        var start = DateTimeOffset.UnixEpoch;
        return new TraceRecord
        {
            Id = id, Name = "t", StartedAt = start,
            Spans = Enumerable.Range(0, spans)
                .Select(i => new Span { Id = SpanId.New(), Trace = id, Name = $"s{i}", StartedAt = start, EndedAt = start })
                .ToArray().ToSeq(),
        };
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(1, 1, 0)]
    [InlineData(500, 500, 0)]
    [InlineData(501, 500, 1)]
    [InlineData(1200, 500, 2)]
    public void Splits_at_500(int spans, int first, int rest)
    {
        var chunks = SpanChunks.Split(TraceWith(spans));
        Assert.Equal(first, chunks.First.Count);
        Assert.Equal(rest, chunks.Rest.Count);
        Assert.Equal(spans, chunks.Count);
    }

    [Fact]
    public void Keeps_the_end_order()
    {
        var trace = TraceWith(1200);
        var chunks = SpanChunks.Split(trace);
        var all = chunks.First.Concat(chunks.Rest.Bind(c => c)).Select(s => s.Id).ToList();
        Assert.Equal(trace.Spans.Select(s => s.Id).ToList(), all);
        Assert.Equal(new[] { 500, 200 }, chunks.Rest.Select(c => c.Count).ToArray());
    }
}

public class ClientLimitsTests
{
    private static readonly TraceId Id = TraceId.New();

    [Fact]
    public void Enrichment_truncates_long_names_and_short_texts_with_the_marker_and_drops_non_finite_costs()
    {
        var trace = new TraceRecord
        {
            Id = Id, Name = new string('n', 600), StartedAt = DateTimeOffset.UnixEpoch,
            SessionId = new string('s', 300), Environment = new string('e', 256),
            Spans = Seq1(new Span
            {
                Id = SpanId.New(), Trace = Id, Name = "", StartedAt = DateTimeOffset.UnixEpoch, Model = new string('m', 400),
                Cost = new Cost(Map(("total", 1.0), ("bad", double.NaN), ("worse", double.PositiveInfinity))),
            }),
        };
        var (clean, adjustments) = Enricher.LimitsOnly.Trace(trace);
        Assert.Equal(5, adjustments.Count);   // trace name, session_id, environment, span name, model
        Assert.Equal(512, clean.Name.Length);
        Assert.EndsWith(Limits.TruncationMarker, clean.Name);
        Assert.Equal(255, clean.SessionId!.Length);
        Assert.Equal(255, clean.Environment!.Length);
        var span = clean.Spans.Head;
        Assert.Equal(Limits.UnnamedName, span.Name);
        Assert.Equal(255, span.Model!.Length);
        Assert.Equal(new[] { "total" }, span.Cost!.Components.Keys.ToArray());
    }

    [Theory]
    [InlineData(ScoreDataType.Numeric, "0", true)]
    [InlineData(ScoreDataType.Numeric, "1", true)]
    [InlineData(ScoreDataType.Numeric, "0.85", true)]
    [InlineData(ScoreDataType.Numeric, "4.5", false)]
    [InlineData(ScoreDataType.Numeric, "-0.1", false)]
    [InlineData(ScoreDataType.Numeric, "abc", false)]
    [InlineData(ScoreDataType.Boolean, "TRUE", true)]
    [InlineData(ScoreDataType.Boolean, "false", true)]
    [InlineData(ScoreDataType.Boolean, "yes", false)]
    [InlineData(ScoreDataType.Categorical, "PASS", true)]
    public void Score_values_follow_the_platform_rules(ScoreDataType type, string value, bool ok) =>
        Assert.Equal(ok, ClientLimits.Check(new Score(Id, "quality", value, type, null, Map<string, Payload>())).IsNone);

    [Fact]
    public void Score_names_must_be_1_to_255_characters()
    {
        Assert.True(ClientLimits.Check(new Score(Id, "", "0.5", ScoreDataType.Numeric, null, Map<string, Payload>())).IsSome);
        Assert.True(ClientLimits.Check(new Score(Id, new string('x', 256), "0.5", ScoreDataType.Numeric, null, Map<string, Payload>())).IsSome);
    }
}

public class RetryMatrixTotalityTests
{
    [Fact]
    public void Every_status_from_100_to_599_is_classified_by_the_matrix()
    {
        foreach (var kind in Enum.GetValues<RequestKind>())
            for (var status = 100; status < 600; status++)
            {
                var decision = RetryDecision.Classify(status, null, kind);
                var expectedRetry = status is 408 or 429 or >= 500 || (status == 404 && kind != RequestKind.Trace);
                Assert.Equal(status is >= 200 and < 300, decision is RetryDecision.Success);
                Assert.Equal(expectedRetry, decision is RetryDecision.Retry);
                Assert.Equal(status is not (>= 200 and < 300) && !expectedRetry, decision is RetryDecision.Drop);
            }
    }
}
