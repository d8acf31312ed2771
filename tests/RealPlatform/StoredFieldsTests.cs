using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.RealPlatform.Support;
using Xunit;
using Xunit.Abstractions;
using static PandaProbe.RealPlatform.Support.PlatformSdk;

namespace PandaProbe.RealPlatform;

/// <summary>
/// Issues 25 and 24 against the real platform: traces recorded through the public SDK, read back from PostgreSQL and
/// compared field by field with what was recorded: nested spans, every LLM field, errors, session, user, tags,
/// metadata, a span that ends after its trace, scores of the three types, and U+0000 (which PostgreSQL cannot store:
/// the SDK documents that it sends U+2400 instead).
/// </summary>
[Collection(RealPlatformCollection.Name)]
public sealed class StoredFieldsTests(RealPlatformFixture platform, ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan StoreBound = TimeSpan.FromSeconds(60);

    readonly string spools = Path.Combine(SpoolRoot, Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(spools, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    string Spool() => Path.Combine(spools, Guid.NewGuid().ToString("N"));

    void Say(string line) => output.WriteLine(line);

    [RealPlatformFact]
    public async Task Nested_spans_with_every_field_and_an_error_are_stored_as_recorded()
    {
        var stack = platform.Require();
        var project = Project("fields-e2e");
        var log = new RequestLog();
        await using var client = Client(stack, project, log, Spool(), o => { o.Environment = "e2e"; o.Release = "1.2.3"; });

        var question = new { messages = new[] { new { role = "user", content = "Plan two days in Lisbon." } } };
        var answer = new { messages = new[] { new { role = "assistant", content = "Day 1: Alfama. Day 2: Belém." } } };
        var prompt = new
        {
            messages = new object[]
            {
                new { role = "system", content = "You plan trips." },
                new { role = "user", content = "Plan two days in Lisbon." },
            },
        };
        var traceMetadata = new Dictionary<string, object?> { ["tenant"] = "acme", ["attempt"] = 3, ["flags"] = new { beta = true, tiers = new[] { 1, 2 } } };
        var parameters = new Dictionary<string, object?> { ["temperature"] = 0.7, ["max_tokens"] = 1000, ["stop"] = new[] { "END" } };
        var extraTokens = new Dictionary<string, long> { ["reasoning_tokens"] = 16, ["cache_read_tokens"] = 0 };
        var costParts = new Dictionary<string, double> { ["input"] = 0.0012, ["output"] = 0.0009 };

        var trace = client.StartTrace("plan a trip", input: question, sessionId: "session-lisbon", userId: "user-ada",
            tags: ["travel", "beta"], metadata: traceMetadata);
        SpanContext agent, llm, search, lookup, rerank;
        DateTimeOffset firstToken;
        using (trace)
        {
            agent = trace.Span("planner", SpanType.Agent, metadata: new Dictionary<string, object?> { ["step"] = "plan" });
            using (agent)
            {
                agent.SetInput(new { goal = "two days in Lisbon" });
                llm = trace.Span("draft itinerary", SpanType.Llm, model: "gpt-4o-mini");
                using (llm)
                {
                    llm.SetInput(prompt);
                    llm.SetModelParameters(parameters);
                    await Task.Delay(150);
                    firstToken = llm.StartedAt.AddTicks(1_234_567);   // +123.4567 ms: the last digit is below the platform's microseconds
                    llm.SetCompletionStartTime(firstToken);
                    llm.SetTokenUsage(promptTokens: 120, completionTokens: 40, extra: extraTokens);
                    llm.SetCost(0.0021, costParts);
                    llm.SetOutput(answer);
                }
                search = trace.Span("web search", SpanType.Tool);
                using (search)
                {
                    search.SetInput(new { query = "Lisbon sights" });
                    search.SetOutput(new[] { "Alfama", "Belém" });
                }
                lookup = trace.Span("guide lookup", SpanType.Retriever);
                using (lookup)
                {
                    lookup.SetInput(new { query = "opening hours" });
                    rerank = trace.Span("rerank", SpanType.Other);
                    using (rerank) rerank.SetOutput(new { kept = 2 });
                    lookup.Fail(new TimeoutException("the guide service timed out after 30 s"));
                }
                agent.SetOutput("itinerary drafted");
            }
            trace.SetOutput(answer);
            trace.Fail(new InvalidOperationException("the planner gave up after the lookup failed"));
        }

        var flush = await DrainAsync(client, Say);
        Report(log, Say);
        AssertDelivered(client, flush, log);
        var spans = await Stored.PollAsync(() => stack.SpansAsync(trace.TraceId), s => s.Count >= 5, StoreBound);
        var row = await stack.TraceAsync(trace.TraceId) ?? throw new Xunit.Sdk.XunitException($"trace {trace.TraceId} was not stored");

        // The trace: every field as recorded; its error in metadata (the platform's trace has no error column).
        Assert.Equal(project, row.Str("project"));
        Assert.Equal("plan a trip", row.Str("name"));
        Assert.Equal("ERROR", row.Str("status"));
        AssertJson(question, row.GetProperty("input"), "trace.input");
        AssertJson(answer, row.GetProperty("output"), "trace.output");
        AssertJson(new Dictionary<string, object?>(traceMetadata)
        {
            ["error"] = "the planner gave up after the lookup failed",
            ["error_type"] = "System.InvalidOperationException",
        }, row.GetProperty("metadata"), "trace.metadata");
        AssertTime(trace.StartedAt, row, "started_us", "trace");
        AssertTime(trace.EndedAt, row, "ended_us", "trace");
        Assert.Equal("session-lisbon", row.Str("session_id"));
        Assert.Equal("user-ada", row.Str("user_id"));
        AssertJson(new[] { "travel", "beta" }, row.GetProperty("tags"), "trace.tags");
        Assert.Equal("e2e", row.Str("environment"));
        Assert.Equal("1.2.3", row.Str("release"));

        // The spans: exactly these five, each under its parent.
        Assert.Equal(new[] { agent, llm, search, lookup, rerank }.Select(s => s.SpanId).Order(), spans.Keys.Order());
        var a = StoredSpan(spans, agent, "planner", "AGENT", "OK", parent: null);
        AssertJson(new { goal = "two days in Lisbon" }, a.GetProperty("input"), "planner.input");
        AssertJson("itinerary drafted", a.GetProperty("output"), "planner.output");
        AssertJson(new { step = "plan" }, a.GetProperty("metadata"), "planner.metadata");
        AssertNoLlmFields(a, "planner");

        var l = StoredSpan(spans, llm, "draft itinerary", "LLM", "OK", parent: agent);
        AssertJson(prompt, l.GetProperty("input"), "llm.input");
        AssertJson(answer, l.GetProperty("output"), "llm.output");
        Assert.Equal("gpt-4o-mini", l.Str("model"));
        AssertJson(new { prompt_tokens = 120, completion_tokens = 40, reasoning_tokens = 16, cache_read_tokens = 0 }, l.GetProperty("token_usage"), "llm.token_usage");
        AssertJson(new { total = 0.0021, input = 0.0012, output = 0.0009 }, l.GetProperty("cost"), "llm.cost");
        AssertJson(parameters, l.GetProperty("model_parameters"), "llm.model_parameters");
        AssertTime(firstToken, l, "completion_start_us", "llm");
        AssertJson(new { }, l.GetProperty("metadata"), "llm.metadata");
        Assert.Equal(JsonValueKind.Null, l.GetProperty("error").ValueKind);

        var s = StoredSpan(spans, search, "web search", "TOOL", "OK", parent: agent);
        AssertJson(new { query = "Lisbon sights" }, s.GetProperty("input"), "search.input");
        AssertJson(new[] { "Alfama", "Belém" }, s.GetProperty("output"), "search.output");
        AssertNoLlmFields(s, "search");

        var g = StoredSpan(spans, lookup, "guide lookup", "RETRIEVER", "ERROR", parent: agent);
        Assert.Equal("the guide service timed out after 30 s", g.Str("error"));
        AssertJson(new { error_type = "System.TimeoutException" }, g.GetProperty("metadata"), "lookup.metadata");
        AssertJson(new { query = "opening hours" }, g.GetProperty("input"), "lookup.input");
        Assert.Equal(JsonValueKind.Null, g.GetProperty("output").ValueKind);

        var r = StoredSpan(spans, rerank, "rerank", "OTHER", "OK", parent: lookup);
        AssertJson(new { kept = 2 }, r.GetProperty("output"), "rerank.output");
        Assert.Equal(JsonValueKind.Null, r.GetProperty("input").ValueKind);
        AssertNoLlmFields(r, "rerank");
    }

    [RealPlatformFact]
    public async Task A_span_that_ends_after_its_trace_is_stored_in_that_trace()
    {
        var stack = platform.Require();
        var project = Project("late-e2e");
        var log = new RequestLog();
        await using var client = Client(stack, project, log, Spool());

        var trace = client.StartTrace("late span", input: "upload the report");
        SpanContext early, late;
        using (trace)
        {
            early = trace.Span("render", SpanType.Tool);
            using (early) early.SetOutput("rendered");
            late = trace.Span("upload", SpanType.Tool, makeCurrent: false);
            late.SetInput(new { file = "report.pdf" });
            trace.SetOutput("queued");
        }
        await Task.Delay(300);
        late.SetOutput(new { uploaded = true, bytes = 48213 });
        late.End();
        Assert.True(late.EndedAt > trace.EndedAt, $"the span ended at {late.EndedAt:O}, its trace at {trace.EndedAt:O}");

        var flush = await DrainAsync(client, Say);
        Report(log, Say);
        AssertDelivered(client, flush, log);
        var spans = await Stored.PollAsync(() => stack.SpansAsync(trace.TraceId), s => s.Count >= 2, StoreBound);
        var row = await stack.TraceAsync(trace.TraceId) ?? throw new Xunit.Sdk.XunitException($"trace {trace.TraceId} was not stored");

        // The trace went without the open span; the span followed on its own, through add-spans.
        Assert.Contains(log.Requests, q => q is { Method: "POST", Path: "/traces", Spans: 1, Accepted: true });
        Assert.Contains(log.Requests, q => q.Method == "POST" && q.Path == $"/traces/{trace.TraceId}/spans" && q.Spans == 1 && q.Accepted);

        Assert.Equal("COMPLETED", row.Str("status"));
        AssertJson("upload the report", row.GetProperty("input"), "trace.input");
        AssertJson("queued", row.GetProperty("output"), "trace.output");
        AssertTime(trace.StartedAt, row, "started_us", "trace");
        AssertTime(trace.EndedAt, row, "ended_us", "trace");

        Assert.Equal(new[] { early.SpanId, late.SpanId }.Order(), spans.Keys.Order());
        var e = StoredSpan(spans, early, "render", "TOOL", "OK", parent: null);
        AssertJson("rendered", e.GetProperty("output"), "render.output");
        var l = StoredSpan(spans, late, "upload", "TOOL", "OK", parent: null);
        AssertJson(new { file = "report.pdf" }, l.GetProperty("input"), "upload.input");
        AssertJson(new { uploaded = true, bytes = 48213 }, l.GetProperty("output"), "upload.output");
        Assert.True(l.Long("ended_us") > row.Long("ended_us"), "the late span's stored end is after its trace's");
    }

    [RealPlatformFact]
    public async Task Numeric_boolean_and_categorical_scores_are_stored_once_each()
    {
        var stack = platform.Require();
        var project = Project("scores-e2e");
        var log = new RequestLog();
        await using var client = Client(stack, project, log, Spool());

        Guid id;
        using (var trace = client.StartTrace("scored answer", input: "Is Lisbon sunny in May?"))
        {
            id = trace.TraceId;
            using (var answer = trace.Span("answer", SpanType.Llm)) answer.SetOutput("Mostly, yes.");
            // Recorded while the trace is open: it may reach the platform before its trace is stored (then retried).
            trace.Score("relevance", 0.85, reason: "cites the climate table",
                metadata: new Dictionary<string, object?> { ["judge"] = "gpt-4o", ["rubric_version"] = 2 });
        }
        client.Score(id, "helpful", true, reason: "thumbs up");
        client.Score(id, "tone", "friendly");

        var flush = await DrainAsync(client, Say);
        Report(log, Say);
        AssertDelivered(client, flush, log);
        var scores = await Stored.PollAsync(() => stack.ScoresAsync(id), s => s.Count >= 3, StoreBound);
        foreach (var sc in scores) Say($"stored score: {sc.GetRawText()}");

        Assert.Equal(new[] { "helpful", "relevance", "tone" }, scores.Select(x => x.Str("name")!).ToArray());
        AssertScore(scores[1], "NUMERIC", "0.85", "cites the climate table", new { judge = "gpt-4o", rubric_version = 2 });
        AssertScore(scores[0], "BOOLEAN", "true", "thumbs up", new { });
        AssertScore(scores[2], "CATEGORICAL", "friendly", null, new { });
        Assert.Equal(3, log.Requests.Count(q => q.Path == "/evaluations/trace-scores" && q.Accepted));
    }

    [RealPlatformFact]
    public async Task A_NUL_character_is_stored_as_the_SDK_documents_it_U2400()
    {
        var stack = platform.Require();
        var project = Project("nul-e2e");
        var log = new RequestLog();
        await using var client = Client(stack, project, log, Spool());

        var lone = "a" + '\ud800' + "b";
        using var raw = JsonDocument.Parse("{\"raw\":\"x\\u0000y\",\"fine\":\"ok\"}");
        var trace = client.StartTrace("nul\0name", input: "before\0after", sessionId: "session\0one", userId: "user\0one", tags: ["t\0ag"],
            metadata: new Dictionary<string, object?> { ["note"] = "x\0y", ["k\0ey"] = "value", ["nested"] = new { text = "deep\0down" }, ["lone"] = lone });
        SpanContext span;
        using (trace)
        {
            span = trace.Span("s\0pan", SpanType.Llm, model: "m\0odel");
            using (span)
            {
                span.SetInput(new { text = "a\0b" });
                span.SetOutput(raw.RootElement);
                span.SetMetadata(new Dictionary<string, object?> { ["why"] = "z\0z" });
                span.SetError("bad\0thing");
            }
            trace.SetOutput("done\0");
        }

        var flush = await DrainAsync(client, Say);
        Report(log, Say);
        AssertDelivered(client, flush, log);
        // PostgreSQL refuses U+0000 in jsonb and text: a trace carrying one would be accepted (202) and then dropped by
        // the worker. Stored at all, and with U+2400 where U+0000 was, is what the SDK promises.
        var spans = await Stored.PollAsync(() => stack.SpansAsync(trace.TraceId), s => s.Count >= 1, StoreBound);
        var row = await stack.TraceAsync(trace.TraceId)
            ?? throw new Xunit.Sdk.XunitException($"trace {trace.TraceId} was not stored (the worker drops a trace PostgreSQL refuses; see {stack.StateFolder}/worker.log)");
        Say($"stored trace: {row.GetRawText()}");

        Assert.Equal("nul\u2400name", row.Str("name"));
        AssertJson("before\u2400after", row.GetProperty("input"), "trace.input");
        AssertJson("done\u2400", row.GetProperty("output"), "trace.output");
        Assert.Equal("session\u2400one", row.Str("session_id"));
        Assert.Equal("user\u2400one", row.Str("user_id"));
        AssertJson(new[] { "t\u2400ag" }, row.GetProperty("tags"), "trace.tags");
        AssertJson(new Dictionary<string, object?>
        {
            ["note"] = "x\u2400y",
            ["k\u2400ey"] = "value",
            ["nested"] = new { text = "deep\u2400down" },
            ["lone"] = "a\ufffdb",
        }, row.GetProperty("metadata"), "trace.metadata");

        var s = Assert.Single(spans).Value;
        Assert.Equal(span.SpanId, Guid.Parse(s.Str("span_id")!));
        Assert.Equal("s\u2400pan", s.Str("name"));
        Assert.Equal("m\u2400odel", s.Str("model"));
        Assert.Equal("ERROR", s.Str("status"));
        Assert.Equal("bad\u2400thing", s.Str("error"));
        AssertJson(new { text = "a\u2400b" }, s.GetProperty("input"), "span.input");
        AssertJson(new { raw = "x\u2400y", fine = "ok" }, s.GetProperty("output"), "span.output");
        AssertJson(new { why = "z\u2400z" }, s.GetProperty("metadata"), "span.metadata");
    }

    /// <summary>The stored span of <paramref name="sent"/>, with its name, kind, status, parent and times checked.</summary>
    static JsonElement StoredSpan(IReadOnlyDictionary<Guid, JsonElement> spans, SpanContext sent, string name, string kind, string status, SpanContext? parent)
    {
        Assert.True(spans.TryGetValue(sent.SpanId, out var row), $"span '{name}' ({sent.SpanId}) was not stored");
        Assert.Equal(sent.TraceId.ToString(), row.Str("trace_id"));
        Assert.Equal(name, row.Str("name"));
        Assert.Equal(kind, row.Str("kind"));
        Assert.Equal(status, row.Str("status"));
        Assert.Equal(parent?.SpanId.ToString(), row.Str("parent_span_id"));
        Assert.Equal(parent?.SpanId, sent.ParentId);
        AssertTime(sent.StartedAt, row, "started_us", name);
        AssertTime(sent.EndedAt, row, "ended_us", name);
        return row;
    }

    static void AssertNoLlmFields(JsonElement row, string what)
    {
        foreach (var column in new[] { "model", "token_usage", "cost", "model_parameters", "completion_start_us", "error" })
            Assert.True(row.GetProperty(column).ValueKind == JsonValueKind.Null, $"{what}.{column}: stored {row.GetProperty(column).GetRawText()}, nothing was recorded");
    }

    static void AssertScore(JsonElement row, string type, string value, string? reason, object metadata)
    {
        var name = row.Str("name");
        Assert.Equal(type, row.Str("data_type"));
        Assert.Equal(value, row.Str("value"));
        Assert.Equal("PROGRAMMATIC", row.Str("source"));
        Assert.Equal("SUCCESS", row.Str("status"));
        Assert.Equal(reason, row.Str("reason"));
        // The SDK's delivery key (documented) beside the user's metadata: a GUID, so a retry can look the score up.
        var stored = row.GetProperty("metadata");
        Assert.True(stored.TryGetProperty("pandaprobe_delivery_id", out var key) && Guid.TryParse(key.GetString(), out _),
            $"score {name}: no pandaprobe_delivery_id in {stored.GetRawText()}");
        var user = JsonSerializer.SerializeToElement(stored.EnumerateObject().Where(p => p.Name != "pandaprobe_delivery_id").ToDictionary(p => p.Name, p => p.Value));
        AssertJson(metadata, user, $"score {name}.metadata");
    }
}
