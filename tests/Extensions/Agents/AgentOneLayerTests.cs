using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Agents;

/// <summary>
/// One <c>UsePandaProbe()</c> anywhere in the agent's builder (outside or inside the framework's function-calling
/// middleware) and one in the chat client's (inside the tool loop the <see cref="ChatClientAgent"/> adds): a run is one
/// trace, one AGENT span with an LLM span per model call and a TOOL span per function call beneath it, each once.
/// </summary>
public class AgentOneLayerTests
{
    static string GetWeather(string city) => $"sunny in {city}";

    static FakeChatClient ScriptedToolRun(bool streamed = false)
    {
        var model = new FakeChatClient();
        var call = new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" });
        if (streamed)
        {
            model.StreamScript.Enqueue([new ChatResponseUpdate(ChatRole.Assistant, [call]) { MessageId = "m1" }]);
            model.StreamScript.Enqueue([new ChatResponseUpdate(ChatRole.Assistant, "Sunny in Oslo.") { MessageId = "m2" }]);
            return model;
        }
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
        return model;
    }

    static AIAgentBuilder Builder(FakeChatClient model, PandaProbeClient client) =>
        new ChatClientAgent(new ChatClientBuilder(model).UsePandaProbe(client).Build(), instructions: "Answer briefly.",
            name: "weather-agent", tools: [AIFunctionFactory.Create(GetWeather, "get_weather")]).AsBuilder();

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static void AssertOneRun(JsonElement trace)
    {
        Assert.Equal("weather-agent", trace.Str("name"));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        var root = spans[0];
        Assert.False(root.Has("parent_span_id"));
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));
        Assert.Equal("""{"city":"Oslo"}""", spans[2].GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", spans[2].GetProperty("output").GetString());
        Assert.Equal("Sunny in Oslo.", spans[3].GetProperty("output").GetProperty("messages")[0].Str("content"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_layer_outside_or_inside_the_function_middleware_records_the_run_once(bool pandaProbeOutside)
    {
        var (client, exporter) = Clients.InMemory();
        var invoked = new List<string>();
        var builder = Builder(ScriptedToolRun(), client);
        Func<AIAgent, FunctionInvocationContext, Func<FunctionInvocationContext, CancellationToken, ValueTask<object?>>, CancellationToken, ValueTask<object?>> middleware =
            async (agent, context, next, ct) =>
            {
                lock (invoked) invoked.Add(context.Function.Name);
                return await next(context, ct);
            };
        var agent = (pandaProbeOutside ? builder.UsePandaProbe(client).Use(middleware) : builder.Use(middleware).UsePandaProbe(client)).Build();

        var response = await agent.RunAsync("Weather in Oslo?");

        Assert.Equal("Sunny in Oslo.", response.Text);
        Assert.Equal(["get_weather"], invoked);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        AssertOneRun(trace);
        var spans = Spans(trace);
        Assert.Equal(10, spans[1].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(20, spans[3].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.False(spans[0].Has("token_usage"));   // the LLM spans carry the tokens
    }

    [Fact]
    public async Task A_streamed_run_through_one_layer_records_each_span_once()
    {
        var (client, exporter) = Clients.InMemory();
        var agent = Builder(ScriptedToolRun(streamed: true), client).UsePandaProbe(client).Build();

        var text = "";
        await foreach (var update in agent.RunStreamingAsync("Weather in Oslo?"))
            text += update.Text;

        Assert.Equal("Sunny in Oslo.", text);
        AssertOneRun(Assert.Single(await Clients.ExportedAsync(client, exporter)));
    }

    [Fact]
    public async Task Without_an_agent_layer_the_chat_clients_one_layer_records_the_runs_tool_loop_as_one_trace()
    {
        var (client, exporter) = Clients.InMemory();
        var agent = Builder(ScriptedToolRun(), client).Build();

        await agent.RunAsync("Weather in Oslo?");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        var spans = Spans(trace);
        Assert.Equal(["chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans, s => Assert.False(s.Has("parent_span_id")));
        Assert.Equal("sunny in Oslo", spans[1].GetProperty("output").GetString());
    }
}
