using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// One <c>UsePandaProbe()</c> anywhere around the real <see cref="FunctionInvokingChatClient"/> (inside it, outside it,
/// or both: the sandwich) over a scripted model: one trace per request with an LLM span per model call and a TOOL span
/// per function call, in order, under the request's trace or span, with arguments, results and errors, never twice.
/// </summary>
public class OneLayerToolLoopTests
{
    public enum Placement
    {
        /// <summary><c>UseFunctionInvocation().UsePandaProbe()</c>: the order <c>UseOpenTelemetry()</c> is usually written in.</summary>
        Inside,
        /// <summary><c>UsePandaProbe().UseFunctionInvocation()</c>.</summary>
        Outside,
        /// <summary><c>UsePandaProbe().UseFunctionInvocation().UsePandaProbe()</c>.</summary>
        Sandwich,
    }

    [Description("Gets the weather in a city")]
    static string GetWeather(string city) => $"sunny in {city}";

    static string Explode() => throw new InvalidOperationException("boom");

    static async Task<string> SlowWeather(string city)
    {
        await Task.Delay(80);
        return $"rain in {city}";
    }

    static ChatOptions Options() => new()
    {
        ModelId = "gpt-4o",
        Tools =
        [
            AIFunctionFactory.Create(GetWeather, "get_weather"),
            AIFunctionFactory.Create(Explode, "explode"),
            AIFunctionFactory.Create(SlowWeather, "slow_weather"),
        ],
    };

    static IChatClient Pipeline(IChatClient model, PandaProbeClient client, Placement placement, bool parallel = false)
    {
        var builder = new ChatClientBuilder(model);
        if (placement != Placement.Inside) builder.UsePandaProbe(client);
        builder.UseFunctionInvocation(configure: f => f.AllowConcurrentInvocation = parallel);
        if (placement != Placement.Outside) builder.UsePandaProbe(client);
        return builder.Build();
    }

    static FunctionCallContent Call(string id, string name, string? city = null) =>
        new(id, name, city is null ? null : new Dictionary<string, object?> { ["city"] = city });

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    /// <summary>Each span as <c>name:KIND</c>, in start order.</summary>
    static List<string> Shapes(List<JsonElement> spans) => spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}").ToList();

    static DateTimeOffset Time(JsonElement span, string property) => DateTimeOffset.Parse(span.Str(property)!);

    static FakeChatClient WeatherThenExplode()
    {
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [Call("call_1", "get_weather", "Oslo"), Call("call_2", "explode")]))
        {
            ModelId = "gpt-4o-2024-08-06",
            ResponseId = "resp_1",
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            ModelId = "gpt-4o-2024-08-06",
            ResponseId = "resp_2",
            Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 5 },
        });
        return model;
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    [InlineData(Placement.Sandwich)]
    public async Task Without_an_open_trace_one_request_is_one_trace_with_a_span_per_model_call_and_per_tool_call(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var model = WeatherThenExplode();

        var response = await Pipeline(model, client, placement).GetResponseAsync("Weather in Oslo?", Options());

        Assert.Equal("Sunny in Oslo.", response.Text);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny in Oslo."}]}""", trace.GetProperty("output").Raw());

        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "explode:TOOL", "chat:LLM"], Shapes(spans));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));
        Assert.All(spans, s => Assert.True(s.Has("ended_at")));

        var (first, weather, explode, last) = (spans[0], spans[1], spans[2], spans[3]);
        Assert.Equal("OK", weather.Str("status"));
        Assert.Equal("""{"city":"Oslo"}""", weather.GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", weather.GetProperty("output").GetString());
        Assert.Equal("call_1", weather.GetProperty("metadata").Str("tool_call_id"));
        Assert.Equal(0, weather.GetProperty("metadata").GetProperty("iteration").GetInt32());
        Assert.Equal("ERROR", explode.Str("status"));
        Assert.Equal("boom", explode.Str("error"));
        Assert.Equal("call_2", explode.GetProperty("metadata").Str("tool_call_id"));

        // The model calls, between the tools: the request, then the history with the tools' results.
        Assert.True(Time(first, "ended_at") <= Time(weather, "started_at"));
        Assert.True(Time(explode, "ended_at") <= Time(last, "started_at"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", first.GetProperty("input").Raw());
        var asked = first.GetProperty("output").GetProperty("messages").EnumerateArray().Single().GetProperty("tool_calls");
        Assert.Equal(["call_1", "call_2"], asked.EnumerateArray().Select(c => c.Str("id")));
        var sent = last.GetProperty("input").GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "tool", "tool"], sent.Select(m => m.Str("role")));
        Assert.Equal("\"sunny in Oslo\"", sent[2].Str("content"));   // the function's JSON result, as the model got it
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny in Oslo."}]}""", last.GetProperty("output").Raw());
        Assert.Equal("resp_2", last.GetProperty("metadata").Str("response_id"));
        Assert.Equal("gpt-4o-2024-08-06", last.Str("model"));
        Assert.Equal(3, first.GetProperty("metadata").GetProperty("tools").GetArrayLength());

        if (placement == Placement.Outside)
        {
            // Not streamed, the loop reports its calls' usage as one sum: on the last call, marked as the loop's.
            Assert.False(first.Has("token_usage"));
            Assert.Equal(60, last.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
            Assert.Equal("tool_loop", last.GetProperty("metadata").Str("token_usage_scope"));
            Assert.Equal(2, last.GetProperty("metadata").GetProperty("model_calls").GetInt32());
        }
        else
        {
            Assert.Equal("resp_1", first.GetProperty("metadata").Str("response_id"));
            Assert.Equal(10, first.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
            Assert.Equal(50, last.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
            Assert.False(last.GetProperty("metadata").Has("token_usage_scope"));
        }
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    [InlineData(Placement.Sandwich)]
    public async Task Inside_an_open_trace_the_loops_spans_are_children_of_the_current_span(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var model = WeatherThenExplode();

        Guid agentId;
        using (var trace = client.StartTrace("agent-run"))
        using (var agent = trace.Span("agent", SpanType.Agent))
        {
            agentId = agent.SpanId;
            await Pipeline(model, client, placement).GetResponseAsync("Weather in Oslo?", Options());
            Assert.Same(agent, Probe.CurrentSpan);
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("agent-run", exported.Str("name"));
        var spans = Spans(exported).Where(s => s.Str("name") != "agent").ToList();
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "explode:TOOL", "chat:LLM"], Shapes(spans));
        Assert.All(spans, s => Assert.Equal(agentId.ToString(), s.Str("parent_span_id")));
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    [InlineData(Placement.Sandwich)]
    public async Task A_streamed_loop_is_one_trace_with_each_calls_own_output_and_usage(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant, [Call("call_1", "get_weather", "Oslo")]) { ModelId = "gpt-4o-2024-08-06", ResponseId = "resp_1", MessageId = "m1" },
            new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 })]) { MessageId = "m1" },
        ]);
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant, "Sun") { MessageId = "m2", ResponseId = "resp_2" },
            new ChatResponseUpdate(ChatRole.Assistant, "ny.") { MessageId = "m2", ResponseId = "resp_2" },
            new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 30, OutputTokenCount = 3 })]) { MessageId = "m2" },
        ]);

        var text = "";
        await foreach (var update in Pipeline(model, client, placement).GetStreamingResponseAsync("Weather in Oslo?", Options()))
            text += update.Text;

        Assert.Equal("Sunny.", text);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny."}]}""", trace.GetProperty("output").Raw());
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], Shapes(spans));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));
        Assert.Equal("""{"city":"Oslo"}""", spans[1].GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", spans[1].GetProperty("output").GetString());
        Assert.All(new[] { spans[0], spans[2] }, s => Assert.True(s.GetProperty("metadata").GetProperty("stream").GetBoolean()));
        Assert.Equal("call_1", spans[0].GetProperty("output").GetProperty("messages")[0].GetProperty("tool_calls")[0].Str("id"));
        Assert.Equal(10, spans[0].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal("resp_2", spans[2].GetProperty("metadata").Str("response_id"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny."}]}""", spans[2].GetProperty("output").Raw());
        Assert.Equal(30, spans[2].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(["user", "assistant", "tool"],
            spans[2].GetProperty("input").GetProperty("messages").EnumerateArray().Select(m => m.Str("role")));
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    [InlineData(Placement.Sandwich)]
    public async Task Parallel_tool_calls_are_overlapping_TOOL_spans_between_the_two_model_calls(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [Call("call_a", "slow_weather", "Oslo"), Call("call_b", "slow_weather", "Bergen"), Call("call_c", "explode")])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Rain in both.")));

        var response = await Pipeline(model, client, placement, parallel: true).GetResponseAsync("Weather?", Options());

        Assert.Equal("Rain in both.", response.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "chat:LLM", "explode:TOOL", "slow_weather:TOOL", "slow_weather:TOOL"], Shapes(spans).Order());
        Assert.Equal("chat:LLM", Shapes(spans)[0]);
        Assert.Equal("chat:LLM", Shapes(spans)[4]);
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));
        var tools = spans.Where(s => s.Str("kind") == "TOOL").ToDictionary(s => s.GetProperty("metadata").Str("tool_call_id")!);
        Assert.Equal(["call_a", "call_b", "call_c"], tools.Keys.Order());
        Assert.Equal("rain in Oslo", tools["call_a"].GetProperty("output").GetString());
        Assert.Equal("""{"city":"Bergen"}""", tools["call_b"].GetProperty("input").Raw());
        Assert.Equal("rain in Bergen", tools["call_b"].GetProperty("output").GetString());
        Assert.Equal("ERROR", tools["call_c"].Str("status"));
        Assert.True(Time(tools["call_b"], "started_at") < Time(tools["call_a"], "ended_at"));   // they ran together
        var lastTool = tools.Values.Max(t => Time(t, "ended_at"));
        Assert.True(Time(spans[0], "ended_at") <= tools.Values.Min(t => Time(t, "started_at")));
        Assert.True(lastTool <= Time(spans[4], "started_at"));
        Assert.Equal(["user", "assistant", "tool", "tool", "tool"],
            spans[4].GetProperty("input").GetProperty("messages").EnumerateArray().Select(m => m.Str("role")));
    }

    [Fact]
    public async Task Inside_the_loop_PandaProbe_keeps_the_applications_current_activity()
    {
        var (client, exporter) = Clients.InMemory();
        using var appSource = new ActivitySource("PandaProbe.Tests.App." + Guid.NewGuid().ToString("N"));
        using var appListener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, appSource),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(appListener);
        var seen = new List<Activity?>();
        var model = WeatherThenExplode();
        var chat = new ChatClientBuilder(model)
            .UseFunctionInvocation()
            .UsePandaProbe(client)
            .Use((messages, options, next, ct) =>
            {
                lock (seen) seen.Add(Activity.Current);
                return next(messages, options, ct);
            })
            .Build();
        var weather = AIFunctionFactory.Create((string city) =>
        {
            lock (seen) seen.Add(Activity.Current);
            return $"sunny in {city}";
        }, "get_weather");

        using (var app = appSource.StartActivity("handle request"))
        {
            Assert.NotNull(app);
            await chat.GetResponseAsync("Weather in Oslo?", new ChatOptions { Tools = [weather, Options().Tools![1]] });
            Assert.Same(app, Activity.Current);
            Assert.Equal(3, seen.Count);   // two model calls, one tool
            Assert.All(seen, a => Assert.Same(app, a));
        }
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "explode:TOOL", "chat:LLM"], Shapes(Spans(trace)));
    }

    [Fact]
    public void The_client_answers_the_loops_activity_source_with_OpenTelemetrys_when_that_is_beneath_it()
    {
        var (client, _) = Clients.InMemory();
        var bare = new ChatClientBuilder(new FakeChatClient()).UsePandaProbe(client).Build();
        var overOpenTelemetry = new ChatClientBuilder(new FakeChatClient()).UsePandaProbe(client).UseOpenTelemetry(sourceName: "App.Chat").Build();

        Assert.Equal("PandaProbe.Extensions.AI.ToolLoop", bare.GetService<ActivitySource>()?.Name);
        Assert.Same(bare.GetService<ActivitySource>(), bare.GetService<ActivitySource>());
        Assert.Equal("App.Chat", overOpenTelemetry.GetService<ActivitySource>()?.Name);
    }

    [Fact]
    public async Task Inside_the_loop_a_failing_model_call_fails_the_one_trace_and_reaches_the_caller()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [Call("call_1", "get_weather", "Bergen")])));
        var chat = Pipeline(new FailingAfter(model, calls: 1), client, Placement.Inside);

        await Assert.ThrowsAsync<HttpRequestException>(() => chat.GetResponseAsync("Weather in Bergen?", Options()));

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], Shapes(spans));
        Assert.Equal("OK", spans[1].Str("status"));
        Assert.Equal("ERROR", spans[2].Str("status"));
        Assert.Equal("down", spans[2].Str("error"));
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    public async Task A_model_call_inside_a_tool_belongs_to_the_tool_not_to_the_loop(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var helper = new FakeChatClient { Error = new HttpRequestException("helper down") }.WithPandaProbe(client);
        var lookup = AIFunctionFactory.Create(async (string city) =>
        {
            try { return (await helper.GetResponseAsync($"Weather in {city}?")).Text; }
            catch (HttpRequestException) { return "unknown"; }
        }, "lookup");
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [Call("call_1", "lookup", "Oslo")])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "No idea.")));

        await Pipeline(model, client, placement).GetResponseAsync("Weather in Oslo?", new ChatOptions { Tools = [lookup] });

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"No idea."}]}""", trace.GetProperty("output").Raw());
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "lookup:TOOL", "chat:LLM", "chat:LLM"], Shapes(spans));
        Assert.Equal(spans[1].Str("span_id"), spans[2].Str("parent_span_id"));
        Assert.Equal("ERROR", spans[2].Str("status"));
        Assert.Equal("\"unknown\"", spans[1].GetProperty("output").Raw());
        Assert.False(spans[3].Has("parent_span_id"));
        Assert.Equal("OK", spans[3].Str("status"));
    }

    [Theory]
    [InlineData(Placement.Inside)]
    [InlineData(Placement.Outside)]
    public async Task A_stream_stopped_early_ends_its_one_trace_with_what_arrived(Placement placement)
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.StreamScript.Enqueue([new ChatResponseUpdate(ChatRole.Assistant, [Call("call_1", "get_weather", "Oslo")]) { MessageId = "m1" }]);
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant, "Sun") { MessageId = "m2" },
            new ChatResponseUpdate(ChatRole.Assistant, "ny.") { MessageId = "m2" },
        ]);

        await foreach (var update in Pipeline(model, client, placement).GetStreamingResponseAsync("Weather in Oslo?", Options()))
            if (update.Text == "Sun") break;

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], Shapes(spans));
        Assert.All(spans, s => Assert.True(s.Has("ended_at")));
        Assert.True(spans[2].GetProperty("metadata").GetProperty("stream_incomplete").GetBoolean());
        Assert.Equal("Sun", spans[2].GetProperty("output").GetProperty("messages")[0].Str("content"));
    }

    /// <summary>Passes <c>calls</c> calls to the model, then fails every one.</summary>
    sealed class FailingAfter(IChatClient inner, int calls) : DelegatingChatClient(inner)
    {
        int left = calls;

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Interlocked.Decrement(ref left) >= 0
                ? base.GetResponseAsync(messages, options, cancellationToken)
                : Task.FromException<ChatResponse>(new HttpRequestException("down"));
    }
}

/// <summary>A one-layer tool loop while gen_ai activities are ingested: the loop's own activities are not ingested again.</summary>
[Collection(ProcessWide.Name)]
public class OneLayerToolLoopIngestionTests
{
    static string GetWeather(string city) => $"sunny in {city}";

    [Theory]
    [InlineData(false, 2)]   // the one layer inside the loop: orchestrate_tools and one execute_tool
    [InlineData(true, 0)]    // the sandwich: the outer layer records the trace and the tool itself
    public async Task The_loop_creates_its_activities_only_when_no_layer_outside_it_records_the_loop(bool sandwich, int expected)
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny.")));
        var builder = new ChatClientBuilder(model);
        if (sandwich) builder.UsePandaProbe(client);
        var chat = builder.UseFunctionInvocation().UsePandaProbe(client).Build();

        // This test's own root activity tells its loop's activities from other tests' (the listener sees them all).
        using var testSource = new ActivitySource("PandaProbe.Tests.LoopActivities");
        using var testListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == testSource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(testListener);
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        ActivityTraceId root = default;
        using var loopListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "PandaProbe.Extensions.AI.ToolLoop",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,   // PandaProbe's alone decides
            ActivityStarted = a => { if (a.TraceId == root) seen.Add(a.OperationName); },
        };
        ActivitySource.AddActivityListener(loopListener);

        using (var test = testSource.StartActivity("test")!)
        {
            root = test.TraceId;
            await chat.GetResponseAsync("Weather in Oslo?", new ChatOptions { Tools = [AIFunctionFactory.Create(GetWeather, "get_weather")] });
        }

        Assert.Equal(expected, seen.Count);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.Equal("sunny in Oslo", spans[1].GetProperty("output").GetString());
        Assert.Equal("call_1", spans[1].GetProperty("metadata").Str("tool_call_id"));
    }

    [Fact]
    public async Task The_loops_activities_are_PandaProbes_own_and_never_ingested_twice()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny.")));
        var chat = new ChatClientBuilder(model).UseFunctionInvocation().UsePandaProbe(client).Build();

        using (client.IngestGenAiActivities("PandaProbe*"))
            await chat.GetResponseAsync("Weather in Oslo?", new ChatOptions { Tools = [AIFunctionFactory.Create(GetWeather, "get_weather")] });

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"],
            trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
    }
}
