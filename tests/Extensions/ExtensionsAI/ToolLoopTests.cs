using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// A tool loop through the real <see cref="FunctionInvokingChatClient"/> with real <see cref="AIFunction"/>s, traced by
/// <c>UsePandaProbe()</c> on both sides of <c>UseFunctionInvocation()</c>; the inner model is scripted.
/// </summary>
public class ToolLoopTests
{
    [Description("Gets the weather in a city")]
    static string GetWeather(string city) => $"sunny in {city}";

    static string Explode() => throw new InvalidOperationException("boom");

    static ChatOptions Options() => new()
    {
        ModelId = "gpt-4o",
        Tools = [AIFunctionFactory.Create(GetWeather, "get_weather"), AIFunctionFactory.Create(Explode, "explode")],
    };

    static ChatMessage ToolCalls() => new(ChatRole.Assistant,
    [
        new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" }),
        new FunctionCallContent("call_2", "explode"),
    ]);

    static IChatClient Pipeline(FakeChatClient model, PandaProbeClient client) =>
        new ChatClientBuilder(model).UsePandaProbe(client).UseFunctionInvocation().UsePandaProbe(client).Build();

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    [Fact]
    public void The_builder_places_the_loop_layer_outside_and_the_model_layer_inside()
    {
        var (client, _) = Clients.InMemory();
        var chat = Pipeline(new FakeChatClient(), client);

        var outer = Assert.IsType<PandaProbeChatClient>(chat);
        Assert.True(outer.TracesToolLoop);
        var loop = outer.GetService<FunctionInvokingChatClient>();
        Assert.NotNull(loop);
        Assert.NotNull(loop.FunctionInvoker);
        var inner = Assert.IsType<PandaProbeChatClient>(loop.GetService<PandaProbeChatClient>());
        Assert.False(inner.TracesToolLoop);
    }

    [Fact]
    public async Task Without_an_open_trace_the_whole_loop_is_one_trace_with_LLM_and_TOOL_spans()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(ToolCalls()) { ModelId = "gpt-4o-2024-08-06", ResponseId = "resp_1", FinishReason = ChatFinishReason.ToolCalls });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            ModelId = "gpt-4o-2024-08-06",
            ResponseId = "resp_2",
            Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 5 },
        });

        var response = await Pipeline(model, client).GetResponseAsync("Weather in Oslo?", Options());

        Assert.Equal("Sunny in Oslo.", response.Text);
        Assert.Equal(2, model.Received.Count);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny in Oslo."}]}""", trace.GetProperty("output").Raw());

        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "explode:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));

        var weather = spans[1];
        Assert.Equal("OK", weather.Str("status"));
        Assert.Equal("""{"city":"Oslo"}""", weather.GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", weather.GetProperty("output").GetString());
        Assert.Equal("call_1", weather.GetProperty("metadata").Str("tool_call_id"));
        Assert.True(weather.Has("ended_at"));

        var explode = spans[2];
        Assert.Equal("ERROR", explode.Str("status"));
        Assert.Equal("boom", explode.Str("error"));
        Assert.Equal("call_2", explode.GetProperty("metadata").Str("tool_call_id"));

        var first = spans[0];
        Assert.Equal("gpt-4o-2024-08-06", first.Str("model"));
        var metadata = first.GetProperty("metadata");
        Assert.Equal("gpt-4o", metadata.Str("gen_ai.request.model"));
        Assert.Equal("gpt-4o-2024-08-06", metadata.Str("gen_ai.response.model"));
        Assert.Equal("resp_1", metadata.Str("response_id"));
        Assert.False(metadata.GetProperty("stream").GetBoolean());
        var tools = metadata.GetProperty("tools").EnumerateArray().ToList();
        Assert.Equal(["get_weather", "explode"], tools.Select(t => t.Str("name")));
        Assert.All(tools, t => Assert.Equal("function", t.Str("type")));
        Assert.Equal("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""",
            tools[0].GetProperty("parameters").Raw());

        var last = spans[3];
        Assert.Equal("resp_2", last.GetProperty("metadata").Str("response_id"));
        Assert.Equal(50, last.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        var toolMessages = last.GetProperty("input").GetProperty("messages").EnumerateArray().Where(m => m.Str("role") == "tool").ToList();
        Assert.Equal(["call_1", "call_2"], toolMessages.Select(m => m.Str("tool_call_id")));
    }

    [Fact]
    public async Task Inside_an_open_trace_tool_and_model_spans_are_children_of_the_current_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Bergen" })])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Rain.")));

        Guid agentId;
        using (var trace = client.StartTrace("agent-run"))
        using (var agent = trace.Span("agent", SpanType.Agent))
        {
            agentId = agent.SpanId;
            await Pipeline(model, client).GetResponseAsync("Weather in Bergen?", Options());
            Assert.Same(agent, Probe.CurrentSpan);
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("agent-run", exported.Str("name"));
        var spans = Spans(exported).Where(s => s.Str("name") != "agent").ToList();
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans, s => Assert.Equal(agentId.ToString(), s.Str("parent_span_id")));
    }

    [Fact]
    public async Task A_streamed_loop_is_one_trace_with_every_model_and_tool_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])
            {
                ModelId = "gpt-4o-2024-08-06",
                ResponseId = "resp_1",
                MessageId = "m1",
            },
        ]);
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant, "Sun") { MessageId = "m2", ResponseId = "resp_2" },
            new ChatResponseUpdate(ChatRole.Assistant, "ny.") { MessageId = "m2", ResponseId = "resp_2" },
        ]);

        var text = "";
        await foreach (var update in Pipeline(model, client).GetStreamingResponseAsync("Weather in Oslo?", Options()))
            text += update.Text;

        Assert.Equal("Sunny.", text);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny."}]}""", trace.GetProperty("output").Raw());
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));
        Assert.Equal("sunny in Oslo", spans[1].GetProperty("output").GetString());
        Assert.True(spans[0].GetProperty("metadata").GetProperty("stream").GetBoolean());
        Assert.Equal("resp_2", spans[2].GetProperty("metadata").Str("response_id"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Sunny."}]}""", spans[2].GetProperty("output").Raw());
    }

    [Fact]
    public async Task A_user_function_invoker_still_runs_inside_the_tool_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Done.")));
        SpanContext? spanInInvoker = null;

        var chat = new ChatClientBuilder(model)
            .UsePandaProbe(client)
            .UseFunctionInvocation(configure: f => f.FunctionInvoker = async (context, ct) =>
            {
                spanInInvoker = Probe.CurrentSpan;
                return "wrapped " + await context.Function.InvokeAsync(context.Arguments, ct);
            })
            .UsePandaProbe(client)
            .Build();
        await chat.GetResponseAsync("Weather?", Options());

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var tool = Clients.SpanNamed(trace, "get_weather");
        Assert.Equal("wrapped sunny in Oslo", tool.GetProperty("output").GetString());
        Assert.Equal(tool.Str("span_id"), spanInInvoker?.SpanId.ToString());
    }

    [Fact]
    public async Task A_failing_model_call_fails_the_loop_trace_and_reaches_the_caller()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Error = new HttpRequestException("down") };

        await Assert.ThrowsAsync<HttpRequestException>(() => Pipeline(model, client).GetResponseAsync("hi", Options()));

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal("down", span.Str("error"));
    }
}
