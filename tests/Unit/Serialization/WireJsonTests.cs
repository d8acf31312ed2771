using System.Text.Json;
using System.Text.Json.Nodes;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using Xunit;
using static LanguageExt.Prelude;
using static PandaProbe.Unit.Serialization.WireSamples;

namespace PandaProbe.Unit.Serialization;

/// <summary>The platform body rules (CONTRACT.md §2.3–2.4), written from the facts so they run without ../shared.</summary>
public class WireJsonTests
{
    static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    static string[] Keys(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToArray();

    static JsonElement SpanNamed(JsonElement trace, string name) =>
        trace.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    [Fact]
    public void A_minimal_trace_writes_the_required_keys_and_nothing_empty()
    {
        Assert.Equal(
            """{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"minimal","status":"COMPLETED","started_at":"2026-05-19T10:00:00+00:00","ended_at":"2026-05-19T10:00:02+00:00"}""",
            WireJson.Trace(Minimal()));
    }

    [Fact]
    public void An_open_trace_has_no_ended_at_and_is_running()
    {
        var open = new TraceRecord { Id = TraceA, Name = "open", StartedAt = T0 };
        Assert.Equal(
            """{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"open","status":"RUNNING","started_at":"2026-05-19T10:00:00+00:00"}""",
            WireJson.Trace(open));
    }

    [Fact]
    public void Trace_keys_follow_the_python_sdk_order()
    {
        var body = Parse(WireJson.Trace(Rich()));
        Assert.Equal(
            ["trace_id", "name", "status", "started_at", "input", "output", "metadata", "ended_at", "session_id", "user_id",
             "tags", "environment", "release", "spans"],
            Keys(body));
    }

    [Fact]
    public void Span_keys_follow_the_python_sdk_order()
    {
        var body = Parse(WireJson.Trace(Rich()));
        Assert.Equal(
            ["span_id", "parent_span_id", "name", "kind", "status", "input", "output", "model", "token_usage", "metadata",
             "started_at", "ended_at", "completion_start_time", "model_parameters", "cost"],
            Keys(SpanNamed(body, "llm-generation")));
        Assert.Equal(
            ["span_id", "parent_span_id", "name", "kind", "status", "input", "metadata", "started_at", "ended_at", "error"],
            Keys(SpanNamed(body, "search")));
        Assert.Equal(["span_id", "name", "kind", "status", "started_at", "ended_at"], Keys(SpanNamed(body, "agent")));
    }

    [Fact]
    public void Spans_are_written_in_the_order_they_ended()
    {
        var body = Parse(WireJson.Trace(Rich()));
        Assert.Equal(["llm-generation", "search", "agent"],
            body.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
    }

    [Fact]
    public void Metadata_tags_spans_kind_and_status_are_never_null()
    {
        foreach (var trace in new[] { Rich(), Minimal(), new TraceRecord { Id = TraceA, Name = "x", StartedAt = T0 } })
        {
            var body = Parse(WireJson.Trace(trace));
            foreach (var key in new[] { "metadata", "tags", "spans", "status", "name", "trace_id", "started_at" })
                if (body.TryGetProperty(key, out var v)) Assert.NotEqual(JsonValueKind.Null, v.ValueKind);
            foreach (var span in body.TryGetProperty("spans", out var spans) ? spans.EnumerateArray() : Enumerable.Empty<JsonElement>())
                foreach (var p in span.EnumerateObject())
                    Assert.NotEqual(JsonValueKind.Null, p.Value.ValueKind);
        }
    }

    [Fact]
    public void Ids_are_lower_case_and_hyphenated()
    {
        var json = WireJson.Trace(Rich());
        Assert.Contains("\"trace_id\":\"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10\"", json);
        Assert.Contains("\"span_id\":\"a41c0000-0000-4000-8000-0000000000bb\"", json);
        Assert.Contains("\"parent_span_id\":\"9f2e0000-0000-4000-8000-0000000000aa\"", json);
        Assert.Contains("\"parent_trace_id\":\"11111111-2222-4333-8444-555555555555\"", json);
        Assert.DoesNotContain("AA\"", json);
    }

    [Theory]
    [InlineData(0L, "2025-03-14T12:00:00+00:00")]
    [InlineData(1230000L, "2025-03-14T12:00:00.123000+00:00")]
    [InlineData(1234560L, "2025-03-14T12:00:00.123456+00:00")]
    [InlineData(1234567L, "2025-03-14T12:00:00.123456+00:00")]
    [InlineData(10L, "2025-03-14T12:00:00.000001+00:00")]
    [InlineData(9L, "2025-03-14T12:00:00+00:00")]
    public void Timestamps_use_python_isoformat_with_microseconds(long ticks, string expected)
    {
        var t = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero).AddTicks(ticks);
        Assert.Equal(expected, WireJson.Timestamp(t));
    }

    [Fact]
    public void Timestamps_are_converted_to_utc()
    {
        var paris = new DateTimeOffset(2025, 3, 14, 13, 30, 5, TimeSpan.FromHours(1)).AddTicks(5000);
        Assert.Equal("2025-03-14T12:30:05.000500+00:00", WireJson.Timestamp(paris));
    }

    [Fact]
    public void Enum_names_are_the_platform_upper_case_names()
    {
        Assert.Equal(["AGENT", "TOOL", "LLM", "RETRIEVER", "CHAIN", "EMBEDDING", "OTHER"], Enum.GetValues<SpanType>().Select(WireJson.Name));
        Assert.Equal(["PENDING", "RUNNING", "COMPLETED", "ERROR"], Enum.GetValues<TraceStatus>().Select(WireJson.Name));
        Assert.Equal(["UNSET", "OK", "ERROR"], Enum.GetValues<SpanStatus>().Select(WireJson.Name));
        Assert.Equal(["NUMERIC", "BOOLEAN", "CATEGORICAL"], Enum.GetValues<ScoreDataType>().Select(WireJson.Name));
        var span = SpanNamed(Parse(WireJson.Trace(Rich())), "llm-generation");
        Assert.Equal("LLM", span.GetProperty("kind").GetString());
        Assert.Equal("OK", span.GetProperty("status").GetString());
    }

    [Fact]
    public void Token_usage_is_written_as_integers()
    {
        var usage = SpanNamed(Parse(WireJson.Trace(Rich())), "llm-generation").GetProperty("token_usage");
        Assert.Equal("""{"completion_tokens":40,"prompt_tokens":120,"reasoning_tokens":0,"total_tokens":160}""", usage.GetRawText());
        Assert.All(usage.EnumerateObject(), p => Assert.True(p.Value.TryGetInt64(out _)));
    }

    [Fact]
    public void Cost_keeps_only_finite_numbers()
    {
        var span = SomeSpan() with
        {
            Cost = new Cost(Map(("total", double.NaN), ("input", 0.5), ("output", double.PositiveInfinity), ("x", 1e-7))),
        };
        var cost = Parse(WireJson.Spans([span]))[0].GetProperty("cost");
        Assert.Equal(["input", "x"], Keys(cost));
        Assert.Equal(0.5, cost.GetProperty("input").GetDouble());
        Assert.Equal(1e-7, cost.GetProperty("x").GetDouble());
    }

    [Fact]
    public void Empty_model_parameters_and_token_usage_are_written_as_empty_objects()
    {
        var span = SomeSpan() with { ModelParameters = Map<string, Payload>(), Tokens = new TokenUsage(Map<string, long>()) };
        var json = WireJson.Spans([span]);
        Assert.Contains("\"token_usage\":{}", json);
        Assert.Contains("\"model_parameters\":{}", json);
        Assert.DoesNotContain("\"metadata\"", json);
    }

    [Fact]
    public void Trace_error_params_logs_and_parent_go_into_metadata_after_user_keys()
    {
        var metadata = Parse(WireJson.Trace(Rich())).GetProperty("metadata");
        Assert.Equal(["team", "params", "logs", "error", "error_type", "error_data", "parent_trace_id"], Keys(metadata));
        Assert.Equal("search", metadata.GetProperty("team").GetString());
        Assert.Equal("""{"top_k":5}""", metadata.GetProperty("params").GetRawText());
        Assert.Equal("""[{"at":"2026-05-19T10:00:00.405000+00:00","data":{"step":1}}]""", metadata.GetProperty("logs").GetRawText());
        Assert.Equal("tool failed", metadata.GetProperty("error").GetString());
        Assert.Equal("System.TimeoutException", metadata.GetProperty("error_type").GetString());
        Assert.Equal("""{"where":"search"}""", metadata.GetProperty("error_data").GetRawText());
    }

    [Fact]
    public void A_span_error_goes_to_the_error_field_and_its_type_and_data_to_metadata()
    {
        var span = SpanNamed(Parse(WireJson.Trace(Rich())), "search");
        Assert.Equal("ERROR", span.GetProperty("status").GetString());
        Assert.Equal("timeout after 3 s", span.GetProperty("error").GetString());
        Assert.Equal("""{"error_type":"System.TimeoutException","error_data":{"attempt":2}}""", span.GetProperty("metadata").GetRawText());
    }

    [Fact]
    public void A_span_error_without_type_or_data_adds_no_metadata()
    {
        var span = SomeSpan() with { Status = SpanStatus.Error, Error = ErrorInfo.Of("boom") };
        var body = Parse(WireJson.Spans([span]))[0];
        Assert.Equal("boom", body.GetProperty("error").GetString());
        Assert.False(body.TryGetProperty("metadata", out _));
    }

    [Fact]
    public void Span_params_and_logs_go_into_metadata()
    {
        var metadata = SpanNamed(Parse(WireJson.Trace(Rich())), "llm-generation").GetProperty("metadata");
        Assert.Equal(
            """{"provider":"openai","params":{"k":3},"logs":[{"at":"2026-05-19T10:00:00.303001+00:00","data":"first token late"}]}""",
            metadata.GetRawText());
    }

    [Fact]
    public void Sdk_metadata_keys_never_overwrite_a_user_key_of_the_same_name()
    {
        var user = Meta(("params", Payload.Text("mine")), ("logs", Payload.Json("[1]")), ("error", Payload.Json("false")),
            ("error_type", Payload.Text("u")), ("error_data", Payload.Json("0")), ("parent_trace_id", Payload.Text("p")));
        var trace = Rich() with { Metadata = user };
        var metadata = Parse(WireJson.Trace(trace)).GetProperty("metadata");
        Assert.Equal("""{"error":false,"error_data":0,"error_type":"u","logs":[1],"params":"mine","parent_trace_id":"p"}""",
            metadata.GetRawText());
    }

    [Fact]
    public void Output_is_compact_and_escaping_is_relaxed()
    {
        var trace = Minimal() with
        {
            Name = "café <b> & 'x' \"q\" \\ 日本",
            Input = Payload.Text("line1\nline2\ttab \u0001 é"),
            Tags = Seq1("naïve"),
        };
        var json = WireJson.Trace(trace);
        Assert.Contains("\"name\":\"café <b> & 'x' \\\"q\\\" \\\\ 日本\"", json);
        Assert.Contains("\"input\":\"line1\\nline2\\ttab \\u0001 é\"", json);
        Assert.Contains("\"tags\":[\"naïve\"]", json);
        Assert.DoesNotContain("\n", json);
        Assert.DoesNotContain("\": ", json);
    }

    [Fact]
    public void Text_payloads_are_json_strings_and_json_payloads_are_written_raw()
    {
        var span = SomeSpan() with
        {
            Input = Payload.Text("{\"not\":\"json\"}"),
            Output = Payload.Json("[1,{\"a\":true},null]"),
        };
        var body = Parse(WireJson.Spans([span]))[0];
        Assert.Equal(JsonValueKind.String, body.GetProperty("input").ValueKind);
        Assert.Equal("{\"not\":\"json\"}", body.GetProperty("input").GetString());
        Assert.Equal("[1,{\"a\":true},null]", body.GetProperty("output").GetRawText());
    }

    [Fact]
    public void Invalid_raw_json_is_written_as_a_string_instead_of_throwing()
    {
        var span = SomeSpan() with { Input = Payload.Json("{oops"), Output = Payload.Json("1 2") };
        var body = Parse(WireJson.Spans([span]))[0];
        Assert.Equal("{oops", body.GetProperty("input").GetString());
        Assert.Equal("1 2", body.GetProperty("output").GetString());
    }

    [Fact]
    public void Multi_line_json_payloads_are_compacted_so_a_body_stays_on_one_line()
    {
        var span = SomeSpan() with { Input = Payload.Json("{\n  \"a\": [1,\r\n 2]\n}") };
        var json = WireJson.Spans([span]);
        Assert.DoesNotContain("\n", json);
        Assert.Contains("\"input\":{\"a\":[1,2]}", json);
    }

    [Fact]
    public void A_json_null_payload_is_written_as_null()
    {
        var json = WireJson.Trace(Minimal() with { Output = Payload.Null });
        Assert.Contains("\"output\":null", json);
    }

    [Fact]
    public void A_trace_can_be_written_with_a_subset_of_its_spans()
    {
        var trace = Rich();
        var body = Parse(WireJson.Trace(trace, trace.Spans.Take(1)));
        Assert.Equal(["llm-generation"], body.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        var none = Parse(WireJson.Trace(trace, []));
        Assert.False(none.TryGetProperty("spans", out _));
        Assert.Equal(WireJson.Trace(trace), System.Text.Encoding.UTF8.GetString(WireJson.TraceUtf8(trace)));
    }

    [Fact]
    public void The_spans_body_is_a_json_array_of_span_objects()
    {
        var trace = Rich();
        var body = Parse(WireJson.Spans(trace.Spans));
        Assert.Equal(JsonValueKind.Array, body.ValueKind);
        Assert.Equal(3, body.GetArrayLength());
        Assert.Equal("[]", WireJson.Spans([]));
        var fromTrace = Parse(WireJson.Trace(trace)).GetProperty("spans");
        Assert.True(JsonElement.DeepEquals(fromTrace, body));
    }

    [Fact]
    public void The_score_body_matches_the_python_sdk()
    {
        var score = new Score(TraceA, "accuracy", "0.92", ScoreDataType.Numeric, null, Map<string, Payload>());
        Assert.Equal(
            """{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"accuracy","value":"0.92","data_type":"NUMERIC","source":"PROGRAMMATIC"}""",
            WireJson.Score(score));
        var full = score with { DataType = ScoreDataType.Categorical, Value = "PASS", Reason = "looks right", Metadata = Meta(("by", Payload.Text("judge"))) };
        Assert.Equal(
            """{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"accuracy","value":"PASS","data_type":"CATEGORICAL","source":"PROGRAMMATIC","reason":"looks right","metadata":{"by":"judge"}}""",
            WireJson.Score(full));
    }

    [Fact]
    public void The_rich_trace_body_is_exactly_as_expected()
    {
        var expected = JsonNode.Parse("""
            {"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"rag-pipeline","status":"ERROR",
             "started_at":"2026-05-19T10:00:00+00:00",
             "input":{"messages":[{"role":"user","content":"Où est la gare ?"}]},
             "output":{"messages":[{"role":"assistant","content":"À droite."}]},
             "metadata":{"team":"search","params":{"top_k":5},"logs":[{"at":"2026-05-19T10:00:00.405000+00:00","data":{"step":1}}],
                         "error":"tool failed","error_type":"System.TimeoutException","error_data":{"where":"search"},
                         "parent_trace_id":"11111111-2222-4333-8444-555555555555"},
             "ended_at":"2026-05-19T10:00:02.456789+00:00","session_id":"conv-123","user_id":"user-abc","tags":["rag","prod"],
             "environment":"production","release":"v1.2.3",
             "spans":[
              {"span_id":"a41c0000-0000-4000-8000-0000000000bb","parent_span_id":"9f2e0000-0000-4000-8000-0000000000aa",
               "name":"llm-generation","kind":"LLM","status":"OK",
               "input":{"messages":[{"role":"system","content":"Be brief"}]},"output":"La gare est à droite.","model":"gpt-5.4-nano",
               "token_usage":{"completion_tokens":40,"prompt_tokens":120,"reasoning_tokens":0,"total_tokens":160},
               "metadata":{"provider":"openai","params":{"k":3},"logs":[{"at":"2026-05-19T10:00:00.303001+00:00","data":"first token late"}]},
               "started_at":"2026-05-19T10:00:00.002250+00:00","ended_at":"2026-05-19T10:00:00.350000+00:00",
               "completion_start_time":"2026-05-19T10:00:00.120123+00:00",
               "model_parameters":{"max_tokens":100,"temperature":0.7},"cost":{"input":0.0015,"output":0.0006,"total":0.0021}},
              {"span_id":"c0de0000-0000-4000-8000-0000000000cc","parent_span_id":"9f2e0000-0000-4000-8000-0000000000aa",
               "name":"search","kind":"TOOL","status":"ERROR","input":{"query":"gare"},
               "metadata":{"error_type":"System.TimeoutException","error_data":{"attempt":2}},
               "started_at":"2026-05-19T10:00:00.351000+00:00","ended_at":"2026-05-19T10:00:00.401000+00:00","error":"timeout after 3 s"},
              {"span_id":"9f2e0000-0000-4000-8000-0000000000aa","name":"agent","kind":"AGENT","status":"OK",
               "started_at":"2026-05-19T10:00:00.001500+00:00","ended_at":"2026-05-19T10:00:00.402000+00:00"}]}
            """);
        Assert.Equal(expected!.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), WireJson.Trace(Rich()));
    }

    [Fact]
    public void An_enriched_trace_reaches_the_wire_with_names_and_short_texts_fitted_to_the_platform_limits()
    {
        var trace = Minimal() with { Name = " ", SessionId = new string('s', 300) };
        var span = SomeSpan() with { Name = new string('n', 600), Model = new string('m', 256) };
        var enriched = PandaProbe.Model.Enrichment.Enricher.LimitsOnly.Trace(trace with { Spans = Seq1(span) }).Value;
        var body = Parse(WireJson.Trace(enriched, enriched.Spans));
        Assert.Equal("unnamed", body.GetProperty("name").GetString());
        Assert.Equal(255, body.GetProperty("session_id").GetString()!.Length);
        var written = body.GetProperty("spans")[0];
        Assert.Equal(512, written.GetProperty("name").GetString()!.Length);
        Assert.EndsWith(Limits.TruncationMarker, written.GetProperty("name").GetString());
        Assert.Equal(255, written.GetProperty("model").GetString()!.Length);
    }

    internal static Span SomeSpan() => new()
    {
        Id = Llm,
        Trace = TraceA,
        Name = "s",
        StartedAt = T0,
        EndedAt = T0.AddMilliseconds(5),
        Status = SpanStatus.Ok,
    };
}
