using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using static PandaProbe.Extensions.Tests.Support.ScriptedOpenAIServer;

namespace PandaProbe.Extensions.Tests.OpenAI;

/// <summary>
/// The real OpenAI .NET SDK, adapted to <see cref="IChatClient"/> and <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>
/// by Microsoft.Extensions.AI.OpenAI and wrapped by the real <see cref="FunctionInvokingChatClient"/>, against a scripted
/// OpenAI-compatible Kestrel server on 127.0.0.1: what a user of these libraries gets in the trace. The SDK's own
/// OpenTelemetry activities are switched on (the switch is process-wide and sticky), so these tests run in the
/// process-wide collection: their SDK activities cannot reach an ingestion test running in parallel, and the
/// middleware tests show that the switch changes nothing when nothing ingests.
/// </summary>
[Collection(ProcessWide.Name)]
public sealed class OpenAISdkTests : IAsyncLifetime
{
    /// <summary>The OpenAI SDK's switch for its OpenTelemetry activities (source <c>OpenAI.ChatClient</c>).</summary>
    public const string OpenTelemetrySwitch = "OpenAI.Experimental.EnableOpenTelemetry";

    static OpenAISdkTests() => AppContext.SetSwitch(OpenTelemetrySwitch, true);

    const string Requested = "gpt-4o-mini";
    const string Served = "gpt-4o-mini-2024-07-18";

    ScriptedOpenAIServer server = null!;

    public async Task InitializeAsync() => server = await StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    static string GetWeather(string city) => $"sunny in {city}";

    static string Explode(string city) => throw new InvalidOperationException($"no weather station in {city}");

    static ChatOptions WithTools() => new()
    {
        Tools = [AIFunctionFactory.Create(GetWeather, "get_weather"), AIFunctionFactory.Create(Explode, "explode")],
    };

    IChatClient Model() => server.OpenAI().GetChatClient(Requested).AsIChatClient();

    /// <summary>The documented tool-loop pipeline: PandaProbe outside and inside the function-invoking client.</summary>
    IChatClient Agent(PandaProbeClient client) =>
        new ChatClientBuilder(Model()).UsePandaProbe(client).UseFunctionInvocation().UsePandaProbe(client).Build();

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at"), StringComparer.Ordinal).ToList();

    static Dictionary<string, long> Tokens(JsonElement span) =>
        span.GetProperty("token_usage").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    [Fact]
    public async Task A_chat_completion_records_both_models_the_response_id_usage_parameters_tools_and_server()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(Completion("chatcmpl-1", Served, "Oslo.", Usage(prompt: 40, completion: 12, cached: 16, reasoning: 5)));
        var chat = Model().WithPandaProbe(client);
        var options = WithTools();
        options.Temperature = 0.2f;
        options.MaxOutputTokens = 300;
        options.Instructions = "Answer in one word.";

        var response = await chat.GetResponseAsync("Capital of Norway?", options);

        Assert.Equal("Oslo.", response.Text);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("LLM", span.Str("kind"));
        Assert.Equal("OK", span.Str("status"));
        Assert.Equal(Served, span.Str("model"));
        var metadata = span.GetProperty("metadata");
        Assert.Equal(Requested, metadata.Str("gen_ai.request.model"));
        Assert.Equal(Served, metadata.Str("gen_ai.response.model"));
        Assert.Equal("chatcmpl-1", metadata.Str("response_id"));
        Assert.Equal("stop", metadata.Str("finish_reason"));
        Assert.False(metadata.GetProperty("stream").GetBoolean());
        var offered = metadata.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(["get_weather", "explode"], offered.Select(t => t.Str("name")));
        // The definitions recorded are the ones the SDK sent (which adds "additionalProperties": false to the schema).
        var sentTools = Assert.Single(server.Requests).Body.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(sentTools.Select(t => t.GetProperty("function").Str("name")), offered.Select(t => t.Str("name")));
        foreach (var part in new[] { "properties", "required" })
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sentTools[0].GetProperty("function").GetProperty("parameters").GetProperty(part).Raw()),
                JsonNode.Parse(offered[0].GetProperty("parameters").GetProperty(part).Raw())), part);
        Assert.Equal("openai", metadata.Str("provider"));
        Assert.Equal("127.0.0.1", metadata.Str("server.address"));
        Assert.Equal(server.Endpoint.Port, metadata.GetProperty("server.port").GetInt32());
        Assert.Equal(0.2, span.GetProperty("model_parameters").GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(300, span.GetProperty("model_parameters").GetProperty("max_tokens").GetInt32());
        Assert.Equal(new Dictionary<string, long>
        {
            ["prompt_tokens"] = 40, ["completion_tokens"] = 12, ["total_tokens"] = 52,
            ["cache_read_tokens"] = 16, ["reasoning_tokens"] = 5,
        }, Tokens(span).Where(p => p.Key is "prompt_tokens" or "completion_tokens" or "total_tokens" or "cache_read_tokens" or "reasoning_tokens")
            .ToDictionary());
        Assert.Equal("""{"messages":[{"role":"system","content":"Answer in one word."},{"role":"user","content":"Capital of Norway?"}]}""",
            span.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Oslo."}]}""", span.GetProperty("output").Raw());

        // What the SDK sent is what the span says was asked.
        var sent = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal(Requested, sent.Body.GetProperty("model").GetString());
        Assert.Equal(2, sent.Body.GetProperty("tools").GetArrayLength());
    }

    [Fact]
    public async Task A_streamed_completion_keeps_the_usage_chunk_the_response_model_and_the_time_to_first_token()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(TextStream("chatcmpl-2", Served, ["Dear ", "customer,", " thanks."], Usage(prompt: 30, completion: 7, cached: 10)));
        var chat = Model().WithPandaProbe(client);

        var text = "";
        await foreach (var update in chat.GetStreamingResponseAsync("Draft a reply", new ChatOptions { Temperature = 0 }))
            text += update.Text;

        Assert.Equal("Dear customer, thanks.", text);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("OK", span.Str("status"));
        Assert.Equal(Served, span.Str("model"));
        var metadata = span.GetProperty("metadata");
        Assert.True(metadata.GetProperty("stream").GetBoolean());
        Assert.Equal("chatcmpl-2", metadata.Str("response_id"));
        Assert.Equal(Requested, metadata.Str("gen_ai.request.model"));
        Assert.False(metadata.Has("stream_incomplete"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Dear customer, thanks."}]}""", span.GetProperty("output").Raw());
        Assert.Equal(30, Tokens(span)["prompt_tokens"]);
        Assert.Equal(7, Tokens(span)["completion_tokens"]);
        Assert.Equal(10, Tokens(span)["cache_read_tokens"]);
        var started = DateTimeOffset.Parse(span.Str("started_at")!);
        var first = DateTimeOffset.Parse(span.Str("completion_start_time")!);
        Assert.InRange(first, started, DateTimeOffset.Parse(span.Str("ended_at")!));
        Assert.True(Assert.Single(server.Requests).Body.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task A_tool_loop_with_no_trace_open_is_one_trace_of_model_and_tool_spans()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(
            Completion("chatcmpl-a", Served, null, Usage(20, 9), ToolCall("call_1", "get_weather", """{"city":"Oslo"}""")),
            Completion("chatcmpl-b", Served, "Sunny in Oslo.", Usage(45, 6)));

        var response = await Agent(client).GetResponseAsync("Weather in Oslo?", WithTools());

        Assert.Equal("Sunny in Oslo.", response.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny in Oslo."}]}""", trace.GetProperty("output").Raw());
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));

        var call = spans[0];
        Assert.Equal("chatcmpl-a", call.GetProperty("metadata").Str("response_id"));
        Assert.Equal("tool_calls", call.GetProperty("metadata").Str("finish_reason"));
        Assert.Equal("""[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]""",
            call.GetProperty("output").GetProperty("messages")[0].GetProperty("tool_calls").Raw());
        var tool = spans[1];
        Assert.Equal("OK", tool.Str("status"));
        Assert.Equal("call_1", tool.GetProperty("metadata").Str("tool_call_id"));
        Assert.Equal("""{"city":"Oslo"}""", tool.GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", tool.GetProperty("output").GetString());
        Assert.Equal(45, Tokens(spans[2])["prompt_tokens"]);

        // The second request carried the tool's result back to the model under the call's id.
        var second = server.Requests[1].Body.GetProperty("messages").EnumerateArray().ToList();
        var toolMessage = second.Single(m => m.Str("role") == "tool");
        Assert.Equal("call_1", toolMessage.Str("tool_call_id"));
        Assert.Contains("sunny in Oslo", toolMessage.GetProperty("content").Raw());
    }

    [Fact]
    public async Task A_streamed_tool_loop_assembles_streamed_call_arguments_and_records_a_failing_tool()
    {
        var (client, exporter) = Clients.InMemory();
        JsonObject CallDelta(string? id, string? name, string arguments)
        {
            var function = new JsonObject { ["arguments"] = arguments };
            if (name is not null) function["name"] = name;
            var call = new JsonObject { ["index"] = 0, ["function"] = function };
            if (id is not null)
            {
                call["id"] = id;
                call["type"] = "function";
            }
            return new JsonObject { ["tool_calls"] = new JsonArray(call) };
        }
        server.Then(
            new ScriptedOpenAIServer.Stream([
                Chunk("chatcmpl-s1", Served, new JsonObject { ["role"] = "assistant", ["content"] = null }),
                Chunk("chatcmpl-s1", Served, CallDelta("call_9", "explode", "{\"ci")),
                Chunk("chatcmpl-s1", Served, CallDelta(null, null, "ty\":\"Bergen\"}")),
                Chunk("chatcmpl-s1", Served, new JsonObject(), "tool_calls"),
                UsageChunk("chatcmpl-s1", Served, Usage(25, 8)),
            ]),
            TextStream("chatcmpl-s2", Served, ["No station ", "in Bergen."], Usage(50, 5)));

        var text = "";
        await foreach (var update in Agent(client).GetStreamingResponseAsync("Weather in Bergen?", WithTools()))
            text += update.Text;

        Assert.Equal("No station in Bergen.", text);
        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["chat:LLM", "explode:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        var tool = spans[1];
        Assert.Equal("ERROR", tool.Str("status"));
        Assert.Equal("no weather station in Bergen", tool.Str("error"));
        Assert.Equal("call_9", tool.GetProperty("metadata").Str("tool_call_id"));
        Assert.Equal("""{"city":"Bergen"}""", tool.GetProperty("input").Raw());
        Assert.Equal(25, Tokens(spans[0])["prompt_tokens"]);
        Assert.Equal("chatcmpl-s2", spans[2].GetProperty("metadata").Str("response_id"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"No station in Bergen."}]}""", spans[2].GetProperty("output").Raw());
    }

    [Fact]
    public async Task An_error_status_fails_the_span_and_reaches_the_caller_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(Error(400, "This model's maximum context length is 128000 tokens.", "invalid_request_error", "context_length_exceeded"));
        var chat = Model().WithPandaProbe(client);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.GetResponseAsync("a very long prompt"));

        Assert.Equal(400, error.Status);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Contains("maximum context length", span.Str("error"));
        Assert.Equal(Requested, span.Str("model"));
        Assert.False(span.Has("output"));
    }

    [Fact]
    public async Task A_dropped_connection_mid_stream_keeps_what_arrived_the_response_id_and_the_response_model()
    {
        var (client, exporter) = Clients.InMemory();
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Then(TextStream("chatcmpl-drop", Served, ["The answer ", "is "], Usage(1, 1), dropAfterPieces: true, received.Task));
        var chat = Model().WithPandaProbe(client);

        var text = "";
        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("What is the answer?"))
            {
                text += update.Text;
                if (text == "The answer is ") received.TrySetResult();
            }
        });

        Assert.NotNull(error);
        Assert.Equal("The answer is ", text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal(error.Message, span.Str("error"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"The answer is "}]}""", span.GetProperty("output").Raw());
        Assert.Equal(Served, span.Str("model"));
        Assert.Equal("chatcmpl-drop", span.GetProperty("metadata").Str("response_id"));
        Assert.Equal(Requested, span.GetProperty("metadata").Str("gen_ai.request.model"));
        Assert.Equal("ERROR", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"The answer is "}]}""", trace.GetProperty("output").Raw());
    }

    [Fact]
    public async Task Embeddings_through_the_SDK_record_an_embedding_span_with_token_usage_and_no_vectors()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(Embeddings("text-embedding-3-small", 9, [0.25f, -0.5f, 1f], [0.125f, 0f, -1f]));
        var generator = server.OpenAI().GetEmbeddingClient("text-embedding-3-small").AsIEmbeddingGenerator().WithPandaProbe(client);

        var embeddings = await generator.GenerateAsync(["fjord", "glacier"]);

        Assert.Equal([0.25f, -0.5f, 1f], embeddings[0].Vector.ToArray());
        Assert.Equal([0.125f, 0f, -1f], embeddings[1].Vector.ToArray());
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("EMBEDDING", span.Str("kind"));
        Assert.Equal("OK", span.Str("status"));
        Assert.Equal("text-embedding-3-small", span.Str("model"));
        Assert.Equal("""["fjord","glacier"]""", span.GetProperty("input").Raw());
        Assert.Equal(9, Tokens(span)["prompt_tokens"]);
        Assert.Equal(2, span.GetProperty("metadata").GetProperty("input_count").GetInt32());
        Assert.Equal("127.0.0.1", span.GetProperty("metadata").Str("server.address"));
        Assert.DoesNotContain("0.125", span.Raw());
        Assert.Equal("/v1/embeddings", Assert.Single(server.Requests).Path);
    }

    [Fact]
    public async Task With_ingestion_the_SDKs_own_chat_activity_is_one_LLM_span_with_model_usage_and_response_id()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(Completion("chatcmpl-otel", Served, "Oslo.", Usage(prompt: 40, completion: 12, cached: 16)));
        var chat = server.OpenAI().GetChatClient(Requested);

        string text;
        using (client.IngestGenAiActivities())
        using (client.StartTrace("turn"))
            text = (await chat.CompleteChatAsync("Capital of Norway?")).Value.Content[0].Text;

        Assert.Equal("Oslo.", text);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("LLM", span.Str("kind"));
        Assert.Equal("chat", span.Str("name"));
        Assert.Equal(Served, span.Str("model"));
        var metadata = span.GetProperty("metadata");
        Assert.Equal("OpenAI.ChatClient", metadata.Str("activity_source"));
        Assert.Equal("chatcmpl-otel", metadata.Str("response_id"));
        Assert.Equal(Requested, metadata.Str("gen_ai.request.model"));
        var tokens = Tokens(span);
        Assert.Equal(40, tokens["prompt_tokens"]);
        Assert.Equal(12, tokens["completion_tokens"]);
        Assert.Equal(52, tokens["total_tokens"]);
    }

    [Fact]
    public async Task With_ingestion_a_tool_loop_over_the_SDK_is_one_tree_with_one_LLM_span_per_model_call()
    {
        var (client, exporter) = Clients.InMemory();
        server.Then(
            Completion("chatcmpl-a", Served, null, Usage(20, 9), ToolCall("call_1", "get_weather", """{"city":"Oslo"}""")),
            Completion("chatcmpl-b", Served, "Sunny in Oslo.", Usage(45, 6)));
        var chat = new ChatClientBuilder(Model()).UseFunctionInvocation()
            .UseOpenTelemetry(configure: o => o.EnableSensitiveData = true).Build();

        ChatResponse response;
        using (client.IngestGenAiActivities())
            response = await chat.GetResponseAsync("Weather in Oslo?", WithTools());

        Assert.Equal("Sunny in Oslo.", response.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["orchestrate_tools:CHAIN", "chat:LLM", "get_weather:TOOL", "chat:LLM"],
            spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans.Skip(1), s => Assert.Equal(spans[0].Str("span_id"), s.Str("parent_span_id")));
        Assert.Equal("chatcmpl-a", spans[1].GetProperty("metadata").Str("response_id"));
        Assert.Equal(29, Tokens(spans[1])["total_tokens"]);
        Assert.Equal("""{"city":"Oslo"}""", spans[2].GetProperty("input").Raw());
        Assert.Equal(45, Tokens(spans[3])["prompt_tokens"]);
        // The SDK's own chat activity (OpenAI.ChatClient) inside each MEAI chat activity is the same call: no fifth span.
        Assert.All(new[] { spans[1], spans[3] },
            s => Assert.Equal("Experimental.Microsoft.Extensions.AI", s.GetProperty("metadata").Str("activity_source")));
    }
}
