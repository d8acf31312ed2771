using System.Text.Json;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Support;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// Port of the Python SDK's <c>test_schemas.py</c> (CONTRACT §4, §2.3): model defaults and the wire bodies written by
/// <see cref="WireJson"/>.
/// </summary>
public class SchemasContractTests
{
    static readonly DateTimeOffset Noon = new(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);
    static readonly TraceId SomeTrace = new(Guid.Parse("0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10"));

    static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    static JsonElement SpanJson(Span span) => Parse(WireJson.Spans([span]))[0];

    static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public void A_span_defaults_to_kind_OTHER_status_UNSET_empty_metadata_and_a_random_uuid()
    {
        var span = new Span { Id = SpanId.New(), Trace = SomeTrace, Name = "s", StartedAt = Noon };
        Assert.Equal(SpanType.Other, span.Kind);
        Assert.Equal(SpanStatus.Unset, span.Status);
        Assert.True(span.Metadata.IsEmpty);
        Assert.Equal(4, span.Id.Value.Version);
        Assert.NotEqual(span.Id, SpanId.New());
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", span.Id.ToString());
    }

    [Fact]
    public void A_minimal_span_body_has_only_the_required_keys()
    {
        var json = SpanJson(new Span { Id = SpanId.New(), Trace = SomeTrace, Name = "test-span", StartedAt = Noon });
        Assert.Equal(["span_id", "name", "kind", "status", "started_at"], Keys(json));
        Assert.Equal("test-span", json.GetProperty("name").GetString());
        Assert.Equal("OTHER", json.GetProperty("kind").GetString());
        Assert.Equal("UNSET", json.GetProperty("status").GetString());
        Assert.Equal("2025-03-14T12:00:00+00:00", json.GetProperty("started_at").GetString());
        Assert.False(json.TryGetProperty("parent_span_id", out _));
        Assert.False(json.TryGetProperty("model", out _));
    }

    [Fact]
    public void A_full_span_body_carries_string_ids_model_tokens_and_cost()
    {
        var parent = SpanId.New();
        var span = new Span
        {
            Id = SpanId.New(), Trace = SomeTrace, Parent = parent, Name = "llm", Kind = SpanType.Llm, Status = SpanStatus.Ok,
            StartedAt = Noon, EndedAt = Noon.AddTicks(12_345_670), Model = "gpt-4o",
            Tokens = TokenUsage.Of(100, 50, [("total_tokens", 150L)]), Cost = Cost.Of(0.005),
            CompletionStartTime = Noon.AddMilliseconds(250),
            ModelParameters = Map(("temperature", Payload.Json("0.7"))),
            Input = Payload.Json("""{"messages":[{"role":"user","content":"Hi"}]}"""),
            Output = Payload.Json("""{"messages":[{"role":"assistant","content":"Hello"}]}"""),
            Metadata = Map(("provider", Payload.Text("openai"))),
        };
        var json = SpanJson(span);
        Assert.Equal(
            ["span_id", "parent_span_id", "name", "kind", "status", "input", "output", "model", "token_usage", "metadata",
             "started_at", "ended_at", "completion_start_time", "model_parameters", "cost"],
            Keys(json));
        Assert.Equal(span.Id.Value.ToString("D"), json.GetProperty("span_id").GetString());
        Assert.Equal(parent.Value.ToString("D"), json.GetProperty("parent_span_id").GetString());
        Assert.Equal("LLM", json.GetProperty("kind").GetString());
        Assert.Equal("gpt-4o", json.GetProperty("model").GetString());
        Assert.Equal(100, json.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(50, json.GetProperty("token_usage").GetProperty("completion_tokens").GetInt64());
        Assert.Equal(150, json.GetProperty("token_usage").GetProperty("total_tokens").GetInt64());
        Assert.Equal(0.005, json.GetProperty("cost").GetProperty("total").GetDouble());
        Assert.Equal("2025-03-14T12:00:01.234567+00:00", json.GetProperty("ended_at").GetString());
        Assert.Equal("2025-03-14T12:00:00.250000+00:00", json.GetProperty("completion_start_time").GetString());
        Assert.Equal(0.7, json.GetProperty("model_parameters").GetProperty("temperature").GetDouble());
        Assert.Equal("openai", json.GetProperty("metadata").GetProperty("provider").GetString());
    }

    [Fact]
    public async Task A_cleanly_ended_trace_is_COMPLETED_and_empty_spans_and_tags_are_omitted()
    {
        // Python's TraceData defaults to COMPLETED; our open trace is RUNNING and the reducer makes it COMPLETED on a
        // clean end, which is the only state a trace is ever sent in.
        var open = new TraceRecord { Id = TraceId.New(), Name = "t", StartedAt = Noon };
        Assert.Equal(TraceStatus.Running, open.Status);
        Assert.True(open.Spans.IsEmpty);
        Assert.True(open.Tags.IsEmpty);

        var exporter = new RecordingExporter();
        await using (var client = TestClient.Create(exporter))
        {
            using (client.StartTrace("t")) { }
            await client.FlushAsync(TimeSpan.FromSeconds(10));
        }
        var trace = Assert.Single(exporter.Traces);
        Assert.Equal(TraceStatus.Completed, trace.Status);
        var json = Parse(trace.ToJson());
        Assert.Equal("COMPLETED", json.GetProperty("status").GetString());
        Assert.Equal(["trace_id", "name", "status", "started_at", "ended_at"], Keys(json));
    }

    [Fact]
    public void A_trace_body_carries_name_status_session_tags_and_environment()
    {
        var trace = new TraceRecord
        {
            Id = SomeTrace, Name = "rag-pipeline", Status = TraceStatus.Completed, StartedAt = Noon, EndedAt = Noon.AddSeconds(2),
            SessionId = "conv-123", UserId = "user-abc", Tags = Seq("rag", "prod"), Environment = "production", Release = "1.2.3",
        };
        var json = Parse(WireJson.Trace(trace));
        Assert.Equal(
            ["trace_id", "name", "status", "started_at", "ended_at", "session_id", "user_id", "tags", "environment", "release"],
            Keys(json));
        Assert.Equal("0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10", json.GetProperty("trace_id").GetString());
        Assert.Equal("rag-pipeline", json.GetProperty("name").GetString());
        Assert.Equal("COMPLETED", json.GetProperty("status").GetString());
        Assert.Equal("conv-123", json.GetProperty("session_id").GetString());
        Assert.Equal(["rag", "prod"], json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("production", json.GetProperty("environment").GetString());
    }

    [Fact]
    public async Task An_empty_trace_name_never_reaches_the_wire()
    {
        // Python rejects the empty name and drops the whole trace (logged); we keep the trace, name it "unnamed" and
        // count the adjustment, so the platform never sees a body it would refuse.
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (client.StartTrace("")) { }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        var trace = Assert.Single(exporter.Traces);
        Assert.Equal(Limits.UnnamedName, Parse(trace.ToJson()).GetProperty("name").GetString());
        Assert.Equal(1, result.Health.Adjusted);
    }

    [Fact]
    public void A_score_body_has_a_string_trace_id_name_value_data_type_PROGRAMMATIC_source_and_reason()
    {
        var score = new Score(SomeTrace, "accuracy", "0.95", ScoreDataType.Numeric, "matches the reference",
            Map<string, Payload>());
        var json = Parse(WireJson.Score(score));
        Assert.Equal(["trace_id", "name", "value", "data_type", "source", "reason"], Keys(json));
        Assert.Equal("0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10", json.GetProperty("trace_id").GetString());
        Assert.Equal("accuracy", json.GetProperty("name").GetString());
        Assert.Equal("0.95", json.GetProperty("value").GetString());
        Assert.Equal("NUMERIC", json.GetProperty("data_type").GetString());
        Assert.Equal("PROGRAMMATIC", json.GetProperty("source").GetString());
        Assert.Equal("matches the reference", json.GetProperty("reason").GetString());
    }
}
