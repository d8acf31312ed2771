using System.Diagnostics;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// How far a claim reaches when an ingested activity wraps more than one PandaProbe-traced call: each call is recorded
/// exactly once and every token is counted once. Listeners are process-wide, so these run in the process-wide collection.
/// </summary>
[Collection(ProcessWide.Name)]
public class ClaimReachTests
{
    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static long Tokens(IEnumerable<JsonElement> spans, string key) =>
        spans.Where(s => s.Has("token_usage") && s.GetProperty("token_usage").ValueKind == JsonValueKind.Object)
            .Sum(s => s.GetProperty("token_usage").TryGetProperty(key, out var v) ? v.GetInt64() : 0);

    static FakeChatClient TwoCallToolRun(string tool = "get_weather")
    {
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", tool, new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
        return model;
    }

    static int Occurrences(IEnumerable<JsonElement> spans, string text) =>
        spans.Count(s => s.Has("output") && s.GetProperty("output").Raw().Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task A_tool_loop_inside_an_OpenTelemetry_chat_activity_records_each_model_call_once_and_counts_its_tokens_once()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new ChatClientBuilder(TwoCallToolRun()).UseOpenTelemetry().UseFunctionInvocation().UsePandaProbe(client).Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };
        using (client.IngestGenAiActivities())
            Assert.Equal("Sunny in Oslo.", (await chat.GetResponseAsync("Weather?", options)).Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var llm = spans.Where(s => s.Str("kind") == "LLM").ToList();
        Assert.Equal(2, llm.Count);
        Assert.Equal(30, Tokens(llm, "prompt_tokens"));
        Assert.Equal(7, Tokens(llm, "completion_tokens"));
        Assert.Equal(1, Occurrences(llm, "Sunny in Oslo."));
        Assert.Equal(1, Occurrences(llm, "tool_calls"));
    }

    [Fact]
    public async Task Tools_called_inside_an_ingested_execute_tool_activity_get_TOOL_spans_of_their_own()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Contoso.Tools");
        var chat = new ChatClientBuilder(TwoCallToolRun()).UsePandaProbe(client).UseFunctionInvocation().UsePandaProbe(client).Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };
        using (client.IngestGenAiActivities("Contoso.*"))
        using (client.StartTrace("turn"))
        {
            using var plan = source.StartActivity("execute_tool plan");
            Assert.NotNull(plan);
            await chat.GetResponseAsync("Weather?", options);
        }

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["plan:TOOL", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.False(spans[0].Has("output") && spans[0].GetProperty("output").ValueKind != JsonValueKind.Null);
        Assert.Equal("sunny in Oslo", spans[2].Str("output"));
    }

    [Fact]
    public async Task An_agent_over_an_OpenTelemetry_chat_client_with_ingestion_leaves_the_tokens_to_the_LLM_spans()
    {
        var (client, exporter) = Clients.InMemory();
        var model = TwoCallToolRun();
        var agent = new ChatClientAgent(new ChatClientBuilder(model).UseOpenTelemetry().Build(), name: "weather-agent",
            tools: [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")]).WithPandaProbe(client);
        using (client.IngestGenAiActivities())
            Assert.Equal("Sunny in Oslo.", (await agent.RunAsync("Weather in Oslo?")).Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var root = spans[0];
        Assert.Equal("weather-agent:AGENT", $"{root.Str("name")}:{root.Str("kind")}");
        Assert.False(root.Has("token_usage") && root.GetProperty("token_usage").ValueKind == JsonValueKind.Object);
        Assert.Equal(30, root.GetProperty("metadata").GetProperty("run_token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(30, Tokens(spans, "prompt_tokens"));
        Assert.Equal(7, Tokens(spans, "completion_tokens"));
        Assert.Equal(2, spans.Count(s => s.Str("kind") == "LLM"));
    }

    [Fact]
    public async Task A_streamed_agent_run_over_an_OpenTelemetry_chat_client_with_ingestion_leaves_the_tokens_to_the_LLM_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient
        {
            Updates =
            [
                new ChatResponseUpdate(ChatRole.Assistant, "Sunny"),
                new ChatResponseUpdate(null, " today") { Contents = { new UsageContent(new UsageDetails { InputTokenCount = 8, OutputTokenCount = 3 }) } },
            ],
        };
        var agent = new ChatClientAgent(new ChatClientBuilder(model).UseOpenTelemetry().Build(), name: "weather-agent").WithPandaProbe(client);
        var text = "";
        using (client.IngestGenAiActivities())
            await foreach (var update in agent.RunStreamingAsync("Weather?"))
                text += update.Text;

        Assert.Equal("Sunny today", text);
        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("weather-agent:AGENT", $"{spans[0].Str("name")}:{spans[0].Str("kind")}");
        Assert.Single(spans, s => s.Str("kind") == "LLM");
        Assert.False(spans[0].Has("token_usage") && spans[0].GetProperty("token_usage").ValueKind == JsonValueKind.Object);
        Assert.Equal(8, Tokens(spans, "prompt_tokens"));
        Assert.Equal(3, Tokens(spans, "completion_tokens"));
    }
}
