using System.Diagnostics;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using AiFunctionCall = Microsoft.Extensions.AI.FunctionCallContent;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// Activities of the real Microsoft.Extensions.AI <c>UseOpenTelemetry()</c> / <c>UseFunctionInvocation()</c> middleware
/// and of a real Semantic Kernel kernel, over scripted providers, recorded by <c>IngestGenAiActivities()</c>.
/// Listeners are process-wide, so these tests run in the process-wide collection.
/// </summary>
[Collection(ProcessWide.Name)]
public class GenAiActivityIngestionTests
{
    static ChatResponse Answer(string text = "Hello!") => new(new ChatMessage(ChatRole.Assistant, text))
    {
        ModelId = "gpt-4o-2024-08-06",
        ResponseId = "resp_1",
        FinishReason = ChatFinishReason.Stop,
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15, CachedInputTokenCount = 4 },
    };

    static IChatClient Otel(IChatClient inner) =>
        new ChatClientBuilder(inner).UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    [Fact]
    public async Task A_chat_activity_inside_an_open_trace_is_one_LLM_span_under_the_current_span()
    {
        var (client, exporter) = Clients.InMemory();
        using (client.IngestGenAiActivities())
        {
            var chat = Otel(new FakeChatClient { Response = Answer() });
            using var trace = client.StartTrace("turn");
            using (trace.Span("step", PandaProbe.Model.SpanType.Chain))
                await chat.GetResponseAsync("Hi", new ChatOptions { ModelId = "gpt-4o", Temperature = 0.5f, MaxOutputTokens = 100 });
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(exported);
        Assert.Equal(2, spans.Count);
        var step = Clients.SpanNamed(exported, "step");
        var llm = Clients.SpanNamed(exported, "chat");
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal(step.Str("span_id"), llm.Str("parent_span_id"));
        Assert.Equal("gpt-4o-2024-08-06", llm.Str("model"));
        var metadata = llm.GetProperty("metadata");
        Assert.Equal("gpt-4o", metadata.Str("gen_ai.request.model"));
        Assert.Equal("gpt-4o-2024-08-06", metadata.Str("gen_ai.response.model"));
        Assert.Equal("resp_1", metadata.Str("response_id"));
        Assert.Equal("stop", metadata.Str("finish_reason"));
        var usage = llm.GetProperty("token_usage");
        Assert.Equal(10, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(15, usage.GetProperty("total_tokens").GetInt64());
        Assert.Equal(4, usage.GetProperty("cache_read_tokens").GetInt64());
        Assert.Equal("""{"messages":[{"role":"user","content":"Hi"}]}""", llm.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello!"}]}""", llm.GetProperty("output").Raw());
        Assert.Equal(0.5, llm.GetProperty("model_parameters").GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(100, llm.GetProperty("model_parameters").GetProperty("max_tokens").GetInt64());
    }

    [Fact]
    public async Task Without_an_open_trace_a_root_activity_opens_one_trace()
    {
        var (client, exporter) = Clients.InMemory();
        using (client.IngestGenAiActivities())
            await Otel(new FakeChatClient { Response = Answer() }).GetResponseAsync("Hi");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        var llm = Clients.SingleSpan(trace);
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Hi"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello!"}]}""", trace.GetProperty("output").Raw());
    }

    [Fact]
    public async Task A_tool_loop_is_one_trace_chain_then_chat_tool_chat()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new AiFunctionCall("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        model.Script.Enqueue(Answer("Sunny in Oslo."));
        var chat = new ChatClientBuilder(model).UseFunctionInvocation()
            .UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };
        using (client.IngestGenAiActivities())
            await chat.GetResponseAsync("Weather?", options);

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["orchestrate_tools", "chat", "get_weather", "chat"], spans.Select(s => s.Str("name")));
        Assert.Equal(["CHAIN", "LLM", "TOOL", "LLM"], spans.Select(s => s.Str("kind")));
        var root = spans[0];
        Assert.False(root.Has("parent_span_id") && root.Str("parent_span_id") is not null);
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));
        var tool = spans[2];
        Assert.Equal("""{"city":"Oslo"}""", tool.GetProperty("input").Raw());
        Assert.Equal("call_1", tool.GetProperty("metadata").Str("tool_call_id"));
        Assert.Contains("sunny in Oslo", tool.GetProperty("output").Raw());
        Assert.Contains("tool_calls", spans[1].GetProperty("output").Raw());
    }

    [Fact]
    public async Task ToolTracing_inside_an_execute_tool_activity_fills_that_TOOL_span_instead_of_adding_one()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new AiFunctionCall("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        model.Script.Enqueue(Answer("Done."));
        // No sensitive data in the tags: the PandaProbe layers inside write the messages, arguments and result.
        var chat = new ChatClientBuilder(model).UsePandaProbe(client).UseFunctionInvocation()
            .UseOpenTelemetry().UsePandaProbe(client).Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };
        using (client.IngestGenAiActivities())
            await chat.GetResponseAsync("Weather?", options);

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["orchestrate_tools", "chat", "get_weather", "chat"], spans.Select(s => s.Str("name")));
        var tool = Assert.Single(spans, s => s.Str("kind") == "TOOL");
        Assert.Equal("""{"city":"Oslo"}""", tool.GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", tool.Str("output"));
        Assert.Equal(0, tool.GetProperty("metadata").GetProperty("iteration").GetInt32());
        Assert.Equal("call_1", tool.GetProperty("metadata").Str("tool_call_id"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather?"}]}""", spans[1].GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Done."}]}""", spans[3].GetProperty("output").Raw());
        Assert.Equal(15, spans[3].GetProperty("token_usage").GetProperty("total_tokens").GetInt64());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PandaProbe_and_OpenTelemetry_on_one_call_record_one_LLM_span_in_either_order(bool pandaProbeOutside)
    {
        var (client, exporter) = Clients.InMemory();
        var builder = new ChatClientBuilder(new FakeChatClient { Response = Answer() });
        // Without sensitive data in the tags, the PandaProbe layer's messages are kept in both orders.
        builder = pandaProbeOutside
            ? builder.UsePandaProbe(client).UseOpenTelemetry()
            : builder.UseOpenTelemetry().UsePandaProbe(client);
        var chat = builder.Build();
        using (client.IngestGenAiActivities())
        {
            await chat.GetResponseAsync("Hi");
            using var trace = client.StartTrace("turn");
            await chat.GetResponseAsync("Again");
        }

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(2, traces.Count);
        foreach (var trace in traces)
        {
            var llm = Clients.SingleSpan(trace);
            Assert.Equal("LLM", llm.Str("kind"));
            Assert.Equal(10, llm.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
            Assert.Equal(4, llm.GetProperty("token_usage").GetProperty("cache_read_tokens").GetInt64());
            Assert.Equal("gpt-4o-2024-08-06", llm.Str("model"));
            Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello!"}]}""", llm.GetProperty("output").Raw());
            Assert.Equal("OK", llm.Str("status"));
        }
        Assert.Equal("""{"messages":[{"role":"user","content":"Hi"}]}""", Clients.SingleSpan(traces.Single(t => t.Str("name") == "chat")).GetProperty("input").Raw());
    }

    [Fact]
    public async Task Embeddings_are_one_EMBEDDING_span_in_either_order()
    {
        var (client, exporter) = Clients.InMemory();
        var usage = new UsageDetails { InputTokenCount = 7 };
        var outer = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new FakeEmbeddingGenerator { Usage = usage, ModelId = "emb-1" })
            .UsePandaProbe(client).UseOpenTelemetry().Build();
        var inner = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new FakeEmbeddingGenerator { Usage = usage, ModelId = "emb-1" })
            .UseOpenTelemetry().UsePandaProbe(client).Build();
        var plain = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new FakeEmbeddingGenerator { Usage = usage })
            .UseOpenTelemetry().Build();
        using (client.IngestGenAiActivities())
        {
            using var trace = client.StartTrace("rag");
            await outer.GenerateAsync(["a"]);
            await inner.GenerateAsync(["b"]);
            await plain.GenerateAsync(["c"], new EmbeddingGenerationOptions { ModelId = "emb-2" });
        }

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(3, spans.Count);
        Assert.All(spans, s => Assert.Equal("EMBEDDING", s.Str("kind")));
        Assert.Equal(7, spans[2].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal("emb-2", spans[2].Str("model"));
    }

    [Fact]
    public async Task A_failing_call_is_an_ERROR_span_and_trace()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = Otel(new FakeChatClient { Error = new InvalidOperationException("provider down") });
        using (client.IngestGenAiActivities())
            await Assert.ThrowsAsync<InvalidOperationException>(() => chat.GetResponseAsync("Hi"));

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var llm = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", llm.Str("status"));
        Assert.Contains("provider down", llm.Raw());
    }

    [Fact]
    public async Task Disposal_stops_the_ingestion()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = Otel(new FakeChatClient { Response = Answer() });
        var ingestion = (GenAiActivityIngestion)client.IngestGenAiActivities();
        Assert.True(ingestion.IsActive);
        ingestion.Dispose();
        Assert.False(ingestion.IsActive);
        await chat.GetResponseAsync("Hi");
        Assert.Empty(await Clients.ExportedAsync(client, exporter));
    }

    [Fact]
    public async Task Shutdown_of_the_client_stops_the_ingestion()
    {
        var (client, _) = Clients.InMemory();
        var ingestion = (GenAiActivityIngestion)client.IngestGenAiActivities();
        await client.ShutdownAsync();
        for (var i = 0; i < 100 && ingestion.IsActive; i++) await Task.Delay(10);
        Assert.False(ingestion.IsActive);
    }

    [Fact]
    public async Task The_PandaProbe_replay_source_is_never_ingested()
    {
        var (client, exporter) = Clients.InMemory();
        using var ingestion = client.IngestGenAiActivities("PandaProbe", "PandaProbe*");
        using (var replay = new ActivitySource(PandaProbe.Exporters.ActivityTraceExporter.SourceName))
        using (var listener = new ActivityListener { ShouldListenTo = s => s == replay, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData })
        {
            ActivitySource.AddActivityListener(listener);
            using var activity = replay.StartActivity("chat gpt-4o");
            Assert.NotNull(activity);
        }
        Assert.Empty(await Clients.ExportedAsync(client, exporter));
    }

    [Fact]
    public async Task A_Semantic_Kernel_prompt_function_is_traced_whole_with_the_LLM_span_under_the_function_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Metadata = new ChatClientMetadata("fake", null, "gpt-4o"), Response = Answer("Hi from SK") };
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatClient>(new ChatClientBuilder(model).UsePandaProbe(client).Build());
        var kernel = builder.Build();
        var function = kernel.CreateFunctionFromPrompt("Say hello", functionName: "greet");

        FunctionResult result;
        using (client.IngestGenAiActivities())
            result = await kernel.InvokeAsync(function);

        Assert.Equal("Hi from SK", result.ToString());
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(2, spans.Count);
        var kernelFunction = spans[0];
        var llm = spans[1];
        Assert.Equal("greet", kernelFunction.Str("name"));
        Assert.Equal("TOOL", kernelFunction.Str("kind"));
        Assert.Equal("Microsoft.SemanticKernel", kernelFunction.GetProperty("metadata").Str("activity_source"));
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal(kernelFunction.Str("span_id"), llm.Str("parent_span_id"));
        Assert.Equal(15, llm.GetProperty("token_usage").GetProperty("total_tokens").GetInt64());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_streamed_call_through_both_layers_is_one_LLM_span_in_either_order(bool pandaProbeOutside)
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient
        {
            Updates =
            [
                new ChatResponseUpdate(ChatRole.Assistant, "Hel"),
                new ChatResponseUpdate(null, "lo") { Contents = { new UsageContent(new UsageDetails { InputTokenCount = 3, OutputTokenCount = 2 }) } },
            ],
        };
        var builder = new ChatClientBuilder(model);
        builder = pandaProbeOutside ? builder.UsePandaProbe(client).UseOpenTelemetry() : builder.UseOpenTelemetry().UsePandaProbe(client);
        var chat = builder.Build();
        var text = "";
        using (client.IngestGenAiActivities())
        using (client.StartTrace("turn"))
            await foreach (var update in chat.GetStreamingResponseAsync("Hi"))
                text += update.Text;

        Assert.Equal("Hello", text);
        var llm = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal(3, llm.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
    }

    [Fact]
    public async Task An_Agent_Framework_agent_run_is_an_AGENT_span_over_its_LLM_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Response = Answer("Bonjour") };
        AIAgent agent = new ChatClientAgent(Otel(model), instructions: "Translate to French", name: "translator")
            .AsBuilder().UseOpenTelemetry(configure: a => a.EnableSensitiveData = true).Build();
        using (client.IngestGenAiActivities())
            await agent.RunAsync("Hello");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["AGENT", "LLM"], spans.Select(s => s.Str("kind")));
        Assert.Equal("invoke_agent", spans[0].Str("name"));   // the activity is named "chat" until it ends
        Assert.Equal("translator", spans[0].GetProperty("metadata").Str("agent_name"));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
        Assert.Equal("""{"messages":[{"role":"assistant","name":"translator","content":"Bonjour"}]}""", spans[0].GetProperty("output").Raw());
    }

    [Fact]
    public async Task A_PandaProbe_span_inside_an_ingested_activity_parents_the_activities_started_in_it()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Contoso.Agents");
        var chat = Otel(new FakeChatClient { Response = Answer() });
        using (client.IngestGenAiActivities("Contoso.*"))
        {
            using var run = source.StartActivity("invoke_agent planner");
            Assert.NotNull(run);
            using (var step = Probe.CurrentTrace!.Span("retrieve", PandaProbe.Model.SpanType.Retriever))
                await chat.GetResponseAsync("Hi");
        }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["planner", "retrieve", "chat"], spans.Select(s => s.Str("name")));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
        Assert.Equal(spans[1].Str("span_id"), spans[2].Str("parent_span_id"));
    }

    [Fact]
    public async Task A_claim_does_not_reach_calls_made_by_the_consumer_of_a_stream()
    {
        var (client, exporter) = Clients.InMemory();
        var streamed = new FakeChatClient { Updates = [new ChatResponseUpdate(ChatRole.Assistant, "a"), new ChatResponseUpdate(null, "b")] };
        var outer = new ChatClientBuilder(streamed).UsePandaProbe(client).Build();
        var nested = Otel(new FakeChatClient { Response = Answer() });
        using (client.IngestGenAiActivities())
        using (client.StartTrace("turn"))
            await foreach (var update in outer.GetStreamingResponseAsync("Hi"))
                await nested.GetResponseAsync(update.Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(3, spans.Count);
        Assert.All(spans, s => Assert.Equal("LLM", s.Str("kind")));
    }
}
