using PandaProbe.Pipeline;
using PandaProbe.Model.Enrichment;
using System.Text.Json;
using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Integration;

/// <summary>Headers, routing and the retry matrix (the Python SDK's test_transport behaviours, over real HTTP).</summary>
public sealed class TransportTests : PlatformTest
{


    [Fact]
    public async Task A_trace_is_posted_to_traces_with_every_header()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(2);

        var result = await sut.ExportAsync(ExportBatch.Of(trace));

        Assert.Equal(new ExportResult(1, 0, null), result);
        var request = Assert.Single(platform.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/traces", request.Path);
        Assert.Equal("sk_pp_0123456789abcdef", request.Headers["X-API-Key"]);
        Assert.Equal("integration tests", request.Headers["X-Project-Name"]);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Matches(@"^pandaprobe-dotnet/\d+\.\d+\.\d+", request.Headers["User-Agent"]);
        Assert.True(Guid.TryParse(request.RequestId, out _));
        Assert.Equal(trace.Id.ToString(), request.Json.GetProperty("trace_id").GetString());
        Assert.Equal(2, request.Json.GetProperty("spans").GetArrayLength());
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task Five_traces_make_five_posts_each_with_its_own_request_id()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var traces = Enumerable.Range(0, 5).Select(_ => Traces.With(1)).ToArray();

        var result = await sut.ExportAsync(ExportBatch.Of(traces));

        Assert.Equal(5, result.Exported);
        Assert.Equal(5, platform.Requests.Count(r => r.IsTrace));
        Assert.Equal(5, platform.Requests.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(traces.Select(t => t.Id.ToString()).Order(), platform.Accepted.Select(r => r.Json.GetProperty("trace_id").GetString()).Order());
    }

    [Fact]
    public async Task A_path_prefix_in_the_endpoint_is_kept()
    {
        await using var prefixed = await FakePlatform.StartAsync("/api");
        using var sut = new ExporterUnderTest(new Uri(prefixed.BaseUrl + "/"));

        await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal("/api/traces", Assert.Single(prefixed.Requests).Path);
    }

    [Fact]
    public async Task The_request_id_stays_the_same_across_retries()
    {
        platform.Script = r => r.Attempt < 2 ? Reply.Status(503) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Exported);
        Assert.Equal(3, platform.Requests.Count);
        Assert.Single(platform.Requests.Select(r => r.RequestId).Distinct());
        Assert.Equal(2, sut.Exporter.Metrics.Retried);
    }

    [Theory]
    [InlineData(401, DropReason.Unauthorized)]
    [InlineData(403, DropReason.Forbidden)]
    [InlineData(422, DropReason.Invalid)]
    [InlineData(400, DropReason.PlatformRejected)]
    [InlineData(404, DropReason.NotFound)]
    [InlineData(409, DropReason.PlatformRejected)]
    public async Task Permanent_failures_are_sent_once_dropped_and_reported(int status, DropReason reason)
    {
        platform.Script = _ => Reply.Status(status, "{\"detail\":\"nope\"}");
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(0, result.Exported);
        Assert.Equal(1, result.Failed);
        Assert.Contains(reason.Name(), result.Error);
        Assert.Single(platform.Requests);
        var error = Assert.Single(sut.DeliveryErrors);
        Assert.Equal(reason, error.Reason);
        Assert.Contains("nope", error.Detail);
        Assert.Equal(1, sut.Exporter.Metrics.DroppedFor(reason));
        Assert.Contains(sut.Logs, l => l.Contains(reason.Name()));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(429)]
    public async Task Transient_failures_are_retried_then_reported_when_exhausted(int status)
    {
        platform.Script = _ => Reply.Status(status);
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Failed);
        Assert.Equal(4, platform.Requests.Count); // the first attempt and 3 retries
        Assert.Equal(DropReason.RetriesExhausted, Assert.Single(sut.DeliveryErrors).Reason);
        var health = sut.Exporter.Metrics;
        Assert.Equal(3, health.Retried);
        Assert.Equal(1, health.Failed);
        Assert.Equal(1, health.DroppedFor(DropReason.RetriesExhausted));
    }

    [Fact]
    public async Task A_burst_of_server_errors_ends_in_exactly_one_accepted_post_per_trace()
    {
        var codes = new[] { 500, 502, 503 };
        platform.Script = r => r.Attempt < 3 ? Reply.Status(codes[r.Attempt]) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var traces = Enumerable.Range(0, 6).Select(_ => Traces.With(3)).ToArray();

        var result = await sut.ExportAsync(ExportBatch.Of(traces));

        Assert.Equal(6, result.Exported);
        var accepted = platform.Accepted.Select(r => r.Json.GetProperty("trace_id").GetString()).ToList();
        Assert.Equal(traces.Select(t => t.Id.ToString()).Order(), accepted.Order());
        Assert.Equal(24, platform.Requests.Count);
        Assert.Empty(sut.Errors);
    }

    [Fact]
    public async Task A_quota_429_is_reported_and_not_retried()
    {
        platform.Script = _ => Reply.Status(429, "{\"detail\":\"Usage quota exceeded for plan HOBBY\"}");
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Failed);
        Assert.Single(platform.Requests);
        Assert.Equal(DropReason.Quota, Assert.Single(sut.DeliveryErrors).Reason);
        Assert.Equal(1, sut.Exporter.Metrics.DroppedFor(DropReason.Quota));
    }

    [Fact]
    public async Task Retry_after_in_seconds_is_honoured_up_to_the_cap()
    {
        platform.Script = r => r.Attempt switch
        {
            0 => Reply.Status(429, "{\"error\":\"Rate limit exceeded\"}", ("Retry-After", "7")),
            1 => Reply.Status(503, null, ("Retry-After", "120")),
            _ => Reply.Accept,
        };
        using var sut = new ExporterUnderTest(platform.BaseUrl,
            o => o with { RetryAfterCap = TimeSpan.FromSeconds(60), MaxBackoff = TimeSpan.FromSeconds(30) }, shrinkWaits: true);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Exported);
        Assert.Contains(TimeSpan.FromSeconds(7), sut.Clock!.Waits);
        Assert.Contains(TimeSpan.FromSeconds(60), sut.Clock.Waits);
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_honoured()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(40);
        platform.Script = r => r.Attempt == 0
            ? Reply.Status(429, "{}", ("Retry-After", at.ToString("r")))
            : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl,
            o => o with { RetryAfterCap = TimeSpan.FromSeconds(60), MaxBackoff = TimeSpan.FromSeconds(30) }, shrinkWaits: true);

        await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        var wait = Assert.Single(sut.Clock!.Waits, w => w > TimeSpan.FromSeconds(30));
        Assert.InRange(wait, TimeSpan.FromSeconds(35), TimeSpan.FromSeconds(41));
    }

    [Fact]
    public async Task Without_retry_after_the_backoff_is_exponential_with_the_injected_jitter()
    {
        platform.Script = r => r.Attempt < 3 ? Reply.Status(429, "{\"error\":\"Rate limit exceeded\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl,
            o => o with
            {
                InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30), MaxConcurrentRequests = 1,
                RequestTimeout = TimeSpan.FromSeconds(7), // distinct from every backoff, so the test clock tells them apart
            },
            shrinkWaits: true);

        await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        // Equal jitter at 0.5: 0.75 · 2^attempt seconds. At concurrency 1 each 429 also adds an AIMD pause (1 s, 2 s, …).
        var backoffs = new[] { 0.75, 1.5, 3.0 }.Select(TimeSpan.FromSeconds);
        Assert.All(backoffs, b => Assert.Contains(b, sut.Clock!.Waits));
    }

    [Fact]
    public async Task Environment_and_release_are_stamped_only_on_traces_without_them()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var bare = Traces.With(1);
        var own = Traces.With(1) with { Environment = "staging" };
        var enrich = new Enricher(null, "production", "v9");   // the pipeline's enrichment, which stamps them

        await sut.ExportAsync(ExportBatch.Of(enrich.Trace(bare).Value, enrich.Trace(own).Value));

        JsonElement Body(TraceRecord t) => platform.Accepted.Single(r => r.Json.GetProperty("trace_id").GetString() == t.Id.ToString()).Json;
        Assert.Equal("production", Body(bare).GetProperty("environment").GetString());
        Assert.Equal("v9", Body(bare).GetProperty("release").GetString());
        Assert.Equal("staging", Body(own).GetProperty("environment").GetString());
        Assert.Equal("v9", Body(own).GetProperty("release").GetString());
    }

    [Fact]
    public async Task The_trace_error_message_is_sent_in_metadata()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var failed = Traces.With(1) with { Status = TraceStatus.Error, Error = ErrorInfo.Of("upstream timed out") };

        await sut.ExportAsync(ExportBatch.Of(failed));

        var body = Assert.Single(platform.Accepted).Json;
        Assert.Equal("ERROR", body.GetProperty("status").GetString());
        Assert.Equal("upstream timed out", body.GetProperty("metadata").GetProperty("error").GetString());
    }

    [Fact]
    public async Task Over_long_values_are_cut_client_side_so_the_platform_never_answers_422()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(1) with { Name = new string('n', 2000), UserId = new string('u', 300) };
        trace = trace with { Spans = trace.Spans.Map(s => s with { Name = "", Model = new string('m', 300) }).Strict() };
        var (enriched, adjustments) = new Enricher(null, new string('e', 400), null).Trace(trace);   // as the pipeline sends it

        var result = await sut.ExportAsync(ExportBatch.Of(enriched));

        Assert.Equal(1, result.Exported);
        Assert.Empty(platform.Problems);
        Assert.Equal(5, adjustments.Count);   // trace name, user_id, environment, span name, model
    }

    [Fact]
    public async Task Late_spans_go_to_add_spans_after_the_traces_of_the_batch()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(2);
        var late = new[] { Traces.SpanOf(trace.Id, 10), Traces.SpanOf(trace.Id, 11) };

        var result = await sut.ExportAsync(new ExportBatch([trace], late, []));

        Assert.Equal(3, result.Exported);
        Assert.Equal(2, platform.Requests.Count);
        Assert.True(platform.Requests[0].IsTrace);
        var add = platform.Requests[1];
        Assert.Equal($"/traces/{trace.Id}/spans", add.Path);
        Assert.Equal(late.Select(s => s.Id.ToString()), add.Json.EnumerateArray().Select(s => s.GetProperty("span_id").GetString()));
    }

    [Fact]
    public async Task Late_spans_racing_ingestion_are_retried_until_the_trace_exists()
    {
        platform.Script = r => r.IsAddSpans && r.Attempt < 2 ? Reply.Status(404, "{\"detail\":\"Trace not found\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(0);

        var result = await sut.ExportAsync(new ExportBatch([], [Traces.SpanOf(trace.Id, 1)], []));

        Assert.Equal(1, result.Exported);
        Assert.Equal(3, platform.Requests.Count);
    }

    [Fact]
    public async Task Late_spans_of_a_trace_that_never_appears_are_dropped_as_not_found()
    {
        platform.Script = _ => Reply.Status(404, "{\"detail\":\"Trace not found\"}");
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(new ExportBatch([], [Traces.SpanOf(TraceId.New(), 1), Traces.SpanOf(TraceId.New(), 2)], []));

        Assert.Equal(2, result.Failed);
        Assert.Equal(10, platform.Requests.Count); // 2 requests × (1 + 4 lag retries)
        Assert.Equal(2, sut.Exporter.Metrics.DroppedFor(DropReason.NotFound));
    }
}
