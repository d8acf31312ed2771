using System.Diagnostics;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// Ingested tool loops (Microsoft.Extensions.AI's <c>orchestrate_tools</c>) get the request and the final answer, and
/// the caller's name; the Agent Framework's model-call activities become LLM spans with their tokens; a chat call seen
/// by two instrumentation layers is one span whose tokens count once. Real Microsoft.Extensions.AI and Agent Framework
/// over scripted models. Listeners are process-wide, so these tests run in the process-wide collection.
/// </summary>
[Collection(ProcessWide.Name)]
public class IngestedLoopAndAgentTests
{
    static FakeChatClient ToolRun()
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

    static ChatOptions WeatherOptions() => new()
    {
        Instructions = "Answer briefly.",
        Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")],
    };

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static long Sum(IEnumerable<JsonElement> spans, string key) => spans
        .Where(s => s.TryGetProperty("token_usage", out _))
        .Sum(s => s.GetProperty("token_usage").TryGetProperty(key, out var v) ? v.GetInt64() : 0);

    const string Request = """{"messages":[{"role":"system","content":"Answer briefly."},{"role":"user","content":"Weather in Oslo?"}]}""";
    const string Answer = """{"messages":[{"role":"assistant","content":"Sunny in Oslo."}]}""";

    [Fact]
    public async Task An_ingested_tool_loop_has_the_request_as_input_and_the_final_answer_as_output()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new ChatClientBuilder(ToolRun()).UseFunctionInvocation()
            .UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();
        using (client.IngestGenAiActivities())
            await chat.GetResponseAsync("Weather in Oslo?", WeatherOptions());

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("Weather in Oslo?", trace.Str("name"));   // no caller around the loop: named after the first user message
        Assert.Equal(Request, trace.GetProperty("input").Raw());
        Assert.Equal(Answer, trace.GetProperty("output").Raw());
        var loop = Spans(trace)[0];
        Assert.Equal(("orchestrate_tools", "CHAIN"), (loop.Str("name"), loop.Str("kind")));
        Assert.Equal(Request, loop.GetProperty("input").Raw());
        Assert.Equal(Answer, loop.GetProperty("output").Raw());
        Assert.False(loop.Has("token_usage"));   // the loop's total is its model calls' sum: counted on them
        Assert.Equal(30, Sum(Spans(trace), "prompt_tokens"));
    }

    [Fact]
    public async Task A_streamed_ingested_tool_loop_ends_with_the_final_answer()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.StreamScript.Enqueue([new ChatResponseUpdate(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])]);
        model.StreamScript.Enqueue([new ChatResponseUpdate(ChatRole.Assistant, "Sunny "), new ChatResponseUpdate(ChatRole.Assistant, "in Oslo.")]);
        var chat = new ChatClientBuilder(model).UseFunctionInvocation()
            .UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();
        using (client.IngestGenAiActivities())
            await foreach (var _ in chat.GetStreamingResponseAsync("Weather in Oslo?", WeatherOptions())) { }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(Request, trace.GetProperty("input").Raw());
        Assert.Equal(Answer, trace.GetProperty("output").Raw());
        Assert.Equal(["orchestrate_tools", "chat", "get_weather", "chat"], Spans(trace).Select(s => s.Str("name")));
    }

    [Fact]
    public async Task An_ingested_tool_loop_trace_is_named_after_the_calling_application_activity()
    {
        var (client, exporter) = Clients.InMemory();
        using var app = new ActivitySource("PandaProbe.Tests.App." + Guid.NewGuid().ToString("N"));
        using var appListener = new ActivityListener
        {
            ShouldListenTo = s => s == app,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(appListener);
        var chat = new ChatClientBuilder(ToolRun()).UseFunctionInvocation()
            .UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();

        using (client.IngestGenAiActivities())
        using (app.StartActivity("AnswerWeatherQuestion"))
            await chat.GetResponseAsync("Weather in Oslo?", WeatherOptions());

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("AnswerWeatherQuestion", trace.Str("name"));
        Assert.Equal(Request, trace.GetProperty("input").Raw());
    }

    [Fact]
    public async Task Without_message_content_in_the_activities_a_PandaProbe_layer_inside_the_loop_supplies_it()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new ChatClientBuilder(ToolRun()).UseFunctionInvocation().UseOpenTelemetry().UsePandaProbe(client).Build();
        using (client.IngestGenAiActivities())
            await chat.GetResponseAsync("Weather in Oslo?", WeatherOptions());

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(Request, trace.GetProperty("input").Raw());
        Assert.Equal(Answer, trace.GetProperty("output").Raw());
        Assert.Equal(["orchestrate_tools", "chat", "get_weather", "chat"], Spans(trace).Select(s => s.Str("name")));
        Assert.Equal(30, Sum(Spans(trace), "prompt_tokens"));
    }

    [Fact]
    public async Task The_Agent_Framework_model_call_activities_of_a_run_are_LLM_spans_that_carry_the_tokens_once()
    {
        var (client, exporter) = Clients.InMemory();
        var agent = new ChatClientAgent(ToolRun(), name: "weather-agent",
            tools: [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")]).AsBuilder().UseOpenTelemetry().Build();
        using (client.IngestGenAiActivities())
            await agent.RunAsync("Weather in Oslo?");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["invoke_agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.False(spans[0].Has("token_usage"));
        Assert.Equal(30, spans[0].GetProperty("metadata").GetProperty("run_token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(30, Sum(spans, "prompt_tokens"));
        Assert.Equal(7, Sum(spans, "completion_tokens"));
    }

    [Fact]
    public async Task A_chat_call_seen_by_the_Agent_Framework_and_by_Microsoft_Extensions_AI_is_one_span_counted_once()
    {
        var (client, exporter) = Clients.InMemory();
        using var agents = new ActivitySource("Experimental.Microsoft.Agents.AI");
        using var meai = new ActivitySource("Experimental.Microsoft.Extensions.AI");
        using (client.IngestGenAiActivities())
        using (var run = agents.StartActivity("chat"))
        {
            // The OpenTelemetryAgent renames its activity as soon as the run is under way.
            run!.DisplayName = "invoke_agent weather-agent(a1)";
            run.SetTag("gen_ai.operation.name", "invoke_agent");
            run.SetTag("gen_ai.agent.name", "weather-agent");
            using (var frameworkChat = agents.StartActivity("chat"))
            {
                using (var chat = meai.StartActivity("chat gpt-4o"))
                {
                    chat!.SetTag("gen_ai.operation.name", "chat");
                    chat.SetTag("gen_ai.provider.name", "openai");
                    chat.SetTag("gen_ai.request.model", "gpt-4o");
                    chat.SetTag("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]""");
                    chat.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Hello!"}]}]""");
                    chat.SetTag("gen_ai.usage.input_tokens", 10);
                    chat.SetTag("gen_ai.usage.output_tokens", 5);
                }
                frameworkChat!.SetTag("gen_ai.operation.name", "chat");
                frameworkChat.SetTag("gen_ai.request.model", "gpt-4o");
                frameworkChat.SetTag("gen_ai.response.id", "resp_1");
                frameworkChat.SetTag("gen_ai.usage.input_tokens", 10);
                frameworkChat.SetTag("gen_ai.usage.output_tokens", 5);
            }
            run.SetTag("gen_ai.usage.input_tokens", 10);
            run.SetTag("gen_ai.usage.output_tokens", 5);
        }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["invoke_agent:AGENT", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        var llm = spans[1];
        Assert.Equal("""{"messages":[{"role":"user","content":"Hi"}]}""", llm.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello!"}]}""", llm.GetProperty("output").Raw());
        Assert.Equal("resp_1", llm.GetProperty("metadata").Str("response_id"));
        Assert.Equal(10, Sum(spans, "prompt_tokens"));
        Assert.Equal(5, Sum(spans, "completion_tokens"));
    }
}
