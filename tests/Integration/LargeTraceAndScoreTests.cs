using PandaProbe.Pipeline;
using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Integration;

/// <summary>Traces over 500 spans and scores.</summary>
public sealed class LargeTraceAndScoreTests : PlatformTest
{


    [Fact]
    public async Task A_1200_span_trace_arrives_whole_through_one_post_and_two_add_spans()
    {
        // The first add-spans meets the platform's ingestion lag (404) and is retried.
        platform.Script = r => r.IsAddSpans && r.RouteCount == 0 ? Reply.Status(404, "{\"detail\":\"Trace not found\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(1200);

        var result = await sut.ExportAsync(ExportBatch.Of(trace));

        Assert.Equal(new ExportResult(1, 0, null), result);
        var accepted = platform.Accepted;
        Assert.Equal(3, accepted.Count);
        Assert.True(accepted[0].IsTrace);
        Assert.Equal(500, accepted[0].Json.GetProperty("spans").GetArrayLength());
        Assert.All(accepted.Skip(1), r => Assert.Equal($"/traces/{trace.Id}/spans", r.Path));
        Assert.Equal([500, 200], accepted.Skip(1).Select(r => r.Json.GetArrayLength()));
        var delivered = accepted[0].Json.GetProperty("spans").EnumerateArray()
            .Concat(accepted.Skip(1).SelectMany(r => r.Json.EnumerateArray()))
            .Select(s => s.GetProperty("span_id").GetString())
            .ToList();
        Assert.Equal(trace.Spans.Select(s => s.Id.ToString()), delivered);
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task A_lost_span_chunk_fails_the_trace_and_says_how_many_spans_were_lost()
    {
        platform.Script = r => r.IsAddSpans ? Reply.Status(422, "{\"detail\":\"Validation error\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1001)));

        Assert.Equal(1, result.Failed);
        Assert.Contains("501 of 1001 spans not delivered", result.Error);
        Assert.Equal(2, platform.Requests.Count); // the trace, then the first chunk; the last chunk is not attempted
    }

    [Fact]
    public async Task A_score_is_posted_as_programmatic()
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var traceId = TraceId.New();
        var score = new Score(traceId, "helpfulness", "true", ScoreDataType.Boolean, "user clicked thumbs up",
            Map(("channel", Payload.Text("web"))));

        var result = await sut.ExportAsync(new ExportBatch([], [], [score]));

        Assert.Equal(1, result.Exported);
        var body = Assert.Single(platform.Requests).Json;
        Assert.Equal("/evaluations/trace-scores", platform.Requests[0].Path);
        Assert.Equal(traceId.ToString(), body.GetProperty("trace_id").GetString());
        Assert.Equal("helpfulness", body.GetProperty("name").GetString());
        Assert.Equal("true", body.GetProperty("value").GetString());
        Assert.Equal("BOOLEAN", body.GetProperty("data_type").GetString());
        Assert.Equal("PROGRAMMATIC", body.GetProperty("source").GetString());
        Assert.Equal("user clicked thumbs up", body.GetProperty("reason").GetString());
        Assert.Equal("web", body.GetProperty("metadata").GetProperty("channel").GetString());
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task A_score_racing_its_trace_is_retried_through_404_and_500()
    {
        platform.Script = r => r.IsScore
            ? r.Attempt switch { 0 => Reply.Status(404, "{\"detail\":\"Trace not found\"}"), 1 => Reply.Status(500), _ => Reply.Accept }
            : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var trace = Traces.With(1);

        var result = await sut.ExportAsync(new ExportBatch([trace], [], [Traces.ScoreOf(trace.Id)]));

        Assert.Equal(2, result.Exported);
        Assert.Equal(["/traces", "/evaluations/trace-scores", "/evaluations/trace-scores", "/evaluations/trace-scores"],
            platform.Requests.Select(r => r.Path));
    }

    [Theory]
    [InlineData("1.5", ScoreDataType.Numeric)]
    [InlineData("maybe", ScoreDataType.Boolean)]
    public async Task A_score_the_platform_would_refuse_is_reported_without_a_request(string value, ScoreDataType type)
    {
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(new ExportBatch([], [], [Traces.ScoreOf(TraceId.New(), value, type)]));

        Assert.Equal(1, result.Failed);
        Assert.Empty(platform.Requests);
        Assert.Equal(DropReason.Invalid, Assert.Single(sut.DeliveryErrors).Reason);
    }
}
