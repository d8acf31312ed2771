using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using Xunit;
using static LanguageExt.Prelude;
using static PandaProbe.Unit.Serialization.WireSamples;

namespace PandaProbe.Unit.Serialization;

public class WireReaderTests
{
    /// <summary>Field-by-field equality, payloads compared as JSON values.</summary>
    internal static void AssertSameTrace(TraceRecord expected, TraceRecord actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.StatusIsExplicit, actual.StatusIsExplicit);
        Assert.Equal(expected.StartedAt, actual.StartedAt);
        Assert.Equal(expected.EndedAt, actual.EndedAt);
        AssertSamePayload(expected.Input, actual.Input, "input");
        AssertSamePayload(expected.Output, actual.Output, "output");
        AssertSameMap(expected.Metadata, actual.Metadata, "metadata");
        Assert.Equal(expected.SessionId, actual.SessionId);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.Tags.ToArray(), actual.Tags.ToArray());
        Assert.Equal(expected.Environment, actual.Environment);
        Assert.Equal(expected.Release, actual.Release);
        AssertSameError(expected.Error, actual.Error);
        Assert.Equal(expected.ParentTrace, actual.ParentTrace);
        AssertSameMap(expected.Params, actual.Params, "params");
        AssertSameLogs(expected.Logs, actual.Logs);
        Assert.Equal(expected.Spans.Count, actual.Spans.Count);
        foreach (var (e, a) in expected.Spans.Zip(actual.Spans)) AssertSameSpan(e, a);
    }

    internal static void AssertSameSpan(Span expected, Span actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Trace, actual.Trace);
        Assert.Equal(expected.Parent, actual.Parent);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.StartedAt, actual.StartedAt);
        Assert.Equal(expected.EndedAt, actual.EndedAt);
        AssertSamePayload(expected.Input, actual.Input, "span input");
        AssertSamePayload(expected.Output, actual.Output, "span output");
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal((expected.Tokens?.Counts.ToArray() ?? []), (actual.Tokens?.Counts.ToArray() ?? []));
        Assert.Equal(expected.Tokens is not null, actual.Tokens is not null);
        Assert.Equal((expected.Cost?.Components.ToArray() ?? []), (actual.Cost?.Components.ToArray() ?? []));
        Assert.Equal(expected.Cost is not null, actual.Cost is not null);
        Assert.Equal(expected.ModelParameters is not null, actual.ModelParameters is not null);
        AssertSameMap((expected.ModelParameters ?? Map<string, Payload>()), (actual.ModelParameters ?? Map<string, Payload>()), "model_parameters");
        Assert.Equal(expected.CompletionStartTime, actual.CompletionStartTime);
        AssertSameError(expected.Error, actual.Error);
        AssertSameMap(expected.Metadata, actual.Metadata, "span metadata");
        AssertSameMap(expected.Params, actual.Params, "span params");
        AssertSameLogs(expected.Logs, actual.Logs);
    }

    static void AssertSamePayload(Payload? expected, Payload? actual, string what)
    {
        Assert.True(expected is null == actual is null, $"{what}: presence differs");
        if (expected is { } e && actual is { } a)
            Assert.True(JsonSemantics.SameValue(e, a), $"{what}: {e} != {a}");
    }

    static void AssertSameMap(Map<string, Payload> expected, Map<string, Payload> actual, string what)
    {
        Assert.Equal(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach (var (k, v) in expected)
            Assert.True(JsonSemantics.SameValue(v, actual.Find(k).IfNone(Payload.Null)), $"{what}.{k}: {v} != {actual.Find(k)}");
    }

    static void AssertSameError(ErrorInfo? expected, ErrorInfo? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is not { } e || actual is not { } a) return;
        Assert.Equal(e.Message, a.Message);
        Assert.Equal(e.Type, a.Type);
        AssertSameMap(e.Data, a.Data, "error_data");
    }

    static void AssertSameLogs(Seq<LogEntry> expected, Seq<LogEntry> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(e.At, a.At);
            Assert.True(JsonSemantics.SameValue(e.Data, a.Data), $"log data: {e.Data} != {a.Data}");
        }
    }

    [Fact]
    public void Reading_a_written_trace_gives_back_every_field()
    {
        var rich = Rich();
        AssertSameTrace(rich, WireReader.ReadTrace(WireJson.Trace(rich)));
        var minimal = Minimal();
        AssertSameTrace(minimal, WireReader.ReadTrace(WireJson.Trace(minimal)));
    }

    [Fact]
    public void Reading_a_written_trace_gives_back_an_equal_record()
    {
        // Payload text is kept byte for byte when the writer did not have to compact it, so records compare equal.
        var rich = Rich();
        var read = WireReader.ReadTrace(WireJson.Trace(rich));
        Assert.Equal(rich.Spans.ToArray(), read.Spans.ToArray());
        Assert.Equal(rich with { Spans = default }, read with { Spans = default });
    }

    [Fact]
    public void Reading_written_spans_and_scores_gives_them_back()
    {
        var rich = Rich();
        var spans = WireReader.ReadSpans(WireJson.Spans(rich.Spans), TraceA);
        Assert.Equal(rich.Spans.Count, spans.Count);
        foreach (var (e, a) in rich.Spans.Zip(spans)) AssertSameSpan(e, a);
        var score = new Score(TraceA, "helpful", "true", ScoreDataType.Boolean, "user clicked", Meta(("ui", Payload.Text("web"))));
        var back = WireReader.ReadScore(WireJson.Score(score));
        Assert.Equal(score.Trace, back.Trace);
        Assert.Equal(score.Name, back.Name);
        Assert.Equal(score.Value, back.Value);
        Assert.Equal(score.DataType, back.DataType);
        Assert.Equal(score.Reason, back.Reason);
        Assert.Equal(score.Metadata, back.Metadata);
    }

    [Theory]
    [InlineData("2026-02-23T10:00:00.420Z", 4200000L)]
    [InlineData("2026-02-23T10:00:00.42+00:00", 4200000L)]
    [InlineData("2026-02-23T11:00:00.420+01:00", 4200000L)]
    [InlineData("2026-02-23T10:00:00.4200001Z", 4200001L)]
    [InlineData("2026-02-23T10:00:00.420000123Z", 4200001L)]
    [InlineData("2026-02-23T10:00:00", 0L)]
    [InlineData("2026-02-23T10:00:00.123456", 1234560L)]
    public void Timestamps_are_read_as_the_platform_reads_them(string text, long ticksAfterTen)
    {
        var json = $$"""{"name":"t","started_at":"{{text}}"}""";
        var trace = WireReader.ReadTrace(json);
        Assert.Equal(new DateTimeOffset(2026, 2, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(ticksAfterTen), trace.StartedAt);
        Assert.Equal(TimeSpan.Zero, trace.StartedAt.Offset);
    }

    [Fact]
    public void Explicit_nulls_and_missing_optional_keys_are_absent()
    {
        var trace = WireReader.ReadTrace("""
            {"trace_id":"A1B2C3D4-0007-4000-8000-000000000001","name":"n","started_at":"2026-02-23T10:00:00Z",
             "input":null,"output":null,"ended_at":null,"session_id":null,"user_id":null,"environment":null,"release":null,
             "metadata":null,"tags":null,
             "spans":[{"span_id":"b7000001-0001-4000-8000-000000000001","parent_span_id":null,"name":"s","started_at":"2026-02-23T10:00:00Z",
                       "token_usage":null,"cost":null,"output":null,"error":null,"model":null,"model_parameters":null}]}
            """);
        Assert.Equal(new TraceId(Guid.Parse("a1b2c3d4-0007-4000-8000-000000000001")), trace.Id);
        Assert.Equal(TraceStatus.Completed, trace.Status);
        Assert.True(trace.Input is null && trace.Output is null && trace.EndedAt is null && trace.SessionId is null);
        Assert.True(trace.Metadata.IsEmpty && trace.Tags.IsEmpty);
        var span = Assert.Single(trace.Spans);
        Assert.Equal(trace.Id, span.Trace);
        Assert.Equal(SpanType.Other, span.Kind);
        Assert.Equal(SpanStatus.Unset, span.Status);
        Assert.True(span.Parent is null && span.Tokens is null && span.Cost is null && span.Output is null && span.Error is null);
        Assert.True(span.ModelParameters is null && span.Model is null && span.EndedAt is null);
    }

    [Fact]
    public void A_json_string_payload_is_read_as_text_and_other_values_as_json()
    {
        var trace = WireReader.ReadTrace("""{"name":"n","started_at":"2026-02-23T10:00:00Z","input":"hi","output":{ "a" : [1, 2] },"metadata":{"k":null}}""");
        Assert.Equal(Payload.Text("hi"), trace.Input);
        Assert.Equal(Payload.Json("{ \"a\" : [1, 2] }"), trace.Output);
        Assert.Equal(Payload.Null, trace.Metadata.Find("k"));
    }

    [Fact]
    public void Token_usage_values_are_coerced_to_integers_like_the_python_sdk()
    {
        var span = WireReader.ReadSpans("""[{"name":"s","started_at":"2026-02-23T10:00:00Z","token_usage":{"a":5,"b":5.0,"c":"7","d":true}}]""", TraceA)[0];
        Assert.Equal([("a", 5L), ("b", 5L), ("c", 7L), ("d", 1L)], (span.Tokens?.Counts.ToArray() ?? []));
    }

    [Fact]
    public void Metadata_keys_without_the_sdk_shape_stay_user_metadata()
    {
        var trace = WireReader.ReadTrace("""
            {"name":"n","started_at":"2026-02-23T10:00:00Z",
             "metadata":{"params":[1],"logs":"text","error":{"code":1},"parent_trace_id":"not-a-uuid","error_type":"T"}}
            """);
        Assert.Equal(["error", "error_type", "logs", "params", "parent_trace_id"], trace.Metadata.Keys.ToArray());
        Assert.True(trace.Params.IsEmpty && trace.Logs.IsEmpty && trace.Error is null && trace.ParentTrace is null);
    }

    [Fact]
    public void Status_is_explicit_unless_it_is_the_default_of_the_trace_state()
    {
        static TraceRecord Read(string status, bool ended) => WireReader.ReadTrace(
            $$"""{"name":"n","status":"{{status}}","started_at":"2026-02-23T10:00:00Z"{{(ended ? ",\"ended_at\":\"2026-02-23T10:00:01Z\"" : "")}}}""");
        Assert.False(Read("COMPLETED", true).StatusIsExplicit);
        Assert.True(Read("ERROR", true).StatusIsExplicit);
        Assert.False(Read("RUNNING", false).StatusIsExplicit);
        Assert.True(Read("PENDING", false).StatusIsExplicit);
    }

    [Theory]
    [InlineData("not json", "invalid JSON")]
    [InlineData("[]", "expected an object")]
    [InlineData("""{"started_at":"2026-02-23T10:00:00Z"}""", "trace.name: is required")]
    [InlineData("""{"name":"","started_at":"2026-02-23T10:00:00Z"}""", "trace.name: must not be empty")]
    [InlineData("""{"name":"n"}""", "trace.started_at: is required")]
    [InlineData("""{"name":"n","started_at":"yesterday"}""", "trace.started_at")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","status":"completed"}""", "'completed' is not a trace status")]
    [InlineData("""{"trace_id":"xyz","name":"n","started_at":"2026-02-23T10:00:00Z"}""", "'xyz' is not a UUID")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","tags":[1]}""", "trace.tags")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","spans":{}}""", "trace.spans")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","spans":[{"name":"s","started_at":"2026-02-23T10:00:00Z","token_usage":{"x":5.5}}]}""", "trace.spans[0].token_usage.x")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","spans":[{"name":"s","started_at":"2026-02-23T10:00:00Z","cost":{"total":null}}]}""", "trace.spans[0].cost.total")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","spans":[{"name":"s","started_at":"2026-02-23T10:00:00Z","kind":"llm"}]}""", "trace.spans[0].kind")]
    [InlineData("""{"name":"n","started_at":"2026-02-23T10:00:00Z","spans":[{"name":"s","started_at":"2026-02-23T10:00:00Z","model_parameters":[]}]}""", "model_parameters")]
    public void Invalid_input_throws_a_format_exception_naming_the_problem(string json, string message)
    {
        var ex = Assert.Throws<FormatException>(() => WireReader.ReadTrace(json));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void A_spans_body_must_be_an_array_and_a_score_needs_its_required_fields()
    {
        Assert.Throws<FormatException>(() => WireReader.ReadSpans("{}", TraceA));
        Assert.Throws<FormatException>(() => WireReader.ReadScore("""{"name":"x","value":"1"}"""));
        Assert.Throws<FormatException>(() => WireReader.ReadScore("""{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"x","value":1}"""));
        Assert.Throws<FormatException>(() => WireReader.ReadScore("""{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"x","value":"1","data_type":"NUMBER"}"""));
    }
}
