using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Agents;

/// <summary>
/// A traced agent next to the Agent Framework's own <c>UseOpenTelemetry()</c> with gen_ai ingestion on: whichever
/// layer is outside, a run is one AGENT span with the model and tool spans beneath it, never two.
/// </summary>
[Collection(ProcessWide.Name)]
public class AgentActivityTests
{
    static string GetWeather(string city) => $"sunny in {city}";

    static FakeChatClient ScriptedToolRun()
    {
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
        return model;
    }

    static ChatClientAgent Agent(IChatClient chat) =>
        new(chat, instructions: "Answer briefly.", name: "weather-agent", description: "Knows the weather",
            tools: [AIFunctionFactory.Create(GetWeather, "get_weather")]);

    static async Task<List<JsonElement>> RunAsync(Func<AIAgentBuilder, AIAgentBuilder> layers, PandaProbeClient client,
        Support.FakeChatClient model, PandaProbe.Exporters.InMemoryTraceExporter exporter)
    {
        using (client.IngestGenAiActivities())
        {
            var agent = layers(Agent(model.WithPandaProbe(client)).AsBuilder()).Build();
            var response = await agent.RunAsync("Weather in Oslo?");
            Assert.Equal("Sunny in Oslo.", response.Text);
        }
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        return trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();
    }

    static void AssertOneRunTree(List<JsonElement> spans, string agentSpanName)
    {
        Assert.Equal([$"{agentSpanName}:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"],
            spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        var root = spans[0];
        Assert.False(root.Has("parent_span_id"));
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", root.GetProperty("input").Raw());
        Assert.Equal("Sunny in Oslo.", root.GetProperty("output").GetProperty("messages")[0].Str("content"));
        Assert.Equal("Knows the weather", root.GetProperty("metadata").Str("agent_description"));
        Assert.False(root.Has("token_usage"));   // the LLM spans carry the tokens; totals count them once
    }

    [Fact]
    public async Task PandaProbe_outside_the_OpenTelemetry_agent_records_one_AGENT_span_named_after_the_agent()
    {
        var (client, exporter) = Clients.InMemory();

        var spans = await RunAsync(b => b.UsePandaProbe(client).UseOpenTelemetry(), client, ScriptedToolRun(), exporter);

        AssertOneRunTree(spans, "weather-agent");
    }

    [Fact]
    public async Task The_OpenTelemetry_agent_outside_PandaProbe_records_one_AGENT_span_filled_by_the_PandaProbe_layer()
    {
        var (client, exporter) = Clients.InMemory();

        var spans = await RunAsync(b => b.UseOpenTelemetry().UsePandaProbe(client), client, ScriptedToolRun(), exporter);

        AssertOneRunTree(spans, "invoke_agent");
        Assert.Equal("weather-agent", spans[0].GetProperty("metadata").Str("agent_name"));
        Assert.Equal("Answer briefly.", spans[0].GetProperty("metadata").Str("instructions"));
    }
}
