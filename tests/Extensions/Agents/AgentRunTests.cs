using System.ComponentModel;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Agents;

/// <summary>
/// A real <see cref="ChatClientAgent"/> (with the function-invoking client it adds itself) over a scripted model,
/// traced with <c>WithPandaProbe()</c> / <c>AsBuilder().UsePandaProbe()</c>; the whole exported span tree is checked.
/// </summary>
public class AgentRunTests
{
    [Description("Gets the weather in a city")]
    static string GetWeather(string city) => $"sunny in {city}";

    static string Explode() => throw new InvalidOperationException("tool broke");

    static readonly AITool[] Tools = [AIFunctionFactory.Create(GetWeather, "get_weather"), AIFunctionFactory.Create(Explode, "explode")];

    static ChatMessage WeatherCall(string callId = "call_1") => new(ChatRole.Assistant,
        [new FunctionCallContent(callId, "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]);

    static FakeChatClient ScriptedToolRun()
    {
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(WeatherCall())
        {
            ModelId = "gpt-4o-2024-08-06",
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo."))
        {
            ModelId = "gpt-4o-2024-08-06",
            ResponseId = "resp_2",
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
        return model;
    }

    static ChatClientAgent Agent(IChatClient chat, string? name = "weather-agent") =>
        new(chat, instructions: "Answer briefly.", name: name, description: "Knows the weather", tools: Tools);

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static string Shape(JsonElement span) => $"{span.Str("name")}:{span.Str("kind")}";

    [Fact]
    public async Task A_run_without_an_open_trace_is_one_trace_rooted_at_the_AGENT_span_with_LLM_and_TOOL_spans_beneath()
    {
        var (client, exporter) = Clients.InMemory();
        var model = ScriptedToolRun();
        var inner = Agent(model.WithPandaProbe(client));
        var agent = inner.WithPandaProbe(client);

        var response = await agent.RunAsync("Weather in Oslo?");

        Assert.Equal("Sunny in Oslo.", response.Text);
        Assert.Equal("weather-agent", agent.Name);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("weather-agent", trace.Str("name"));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sunny in Oslo."}]}""", trace.GetProperty("output").Raw());

        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(Shape));
        var root = spans[0];
        Assert.False(root.Has("parent_span_id"));
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));

        Assert.Equal("OK", root.Str("status"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Weather in Oslo?"}]}""", root.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sunny in Oslo."}]}""", root.GetProperty("output").Raw());
        var metadata = root.GetProperty("metadata");
        Assert.Equal(inner.Id, metadata.Str("agent_id"));
        Assert.Equal("Knows the weather", metadata.Str("agent_description"));
        Assert.Equal("Answer briefly.", metadata.Str("instructions"));
        Assert.False(metadata.GetProperty("stream").GetBoolean());
        Assert.Equal("resp_2", metadata.Str("response_id"));

        // The LLM spans carry the tokens; the AGENT span keeps the run's sum as metadata only, so no total doubles.
        Assert.False(root.Has("token_usage"));
        var sum = metadata.GetProperty("run_token_usage");
        Assert.Equal(30, sum.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, sum.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(10, spans[1].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(20, spans[3].GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());

        var tool = spans[2];
        Assert.Equal("OK", tool.Str("status"));
        Assert.Equal("""{"city":"Oslo"}""", tool.GetProperty("input").Raw());
        Assert.Equal("sunny in Oslo", tool.GetProperty("output").GetString());
        Assert.Equal("call_1", tool.GetProperty("metadata").Str("tool_call_id"));

        // The model saw the agent's instructions; its span records them as the leading system message.
        Assert.Equal("system", spans[1].GetProperty("input").GetProperty("messages")[0].Str("role"));
    }

    [Fact]
    public async Task Without_traced_model_calls_the_AGENT_span_carries_the_runs_usage_and_model_and_is_priced()
    {
        var (client, exporter) = Clients.InMemory();
        var agent = Agent(ScriptedToolRun()).WithPandaProbe(client);

        await agent.RunAsync("Weather in Oslo?");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "get_weather:TOOL"], spans.Select(Shape));
        var root = spans[0];
        Assert.Equal("gpt-4o-2024-08-06", root.Str("model"));
        var usage = root.GetProperty("token_usage");
        Assert.Equal(30, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, usage.GetProperty("completion_tokens").GetInt64());
        Assert.True(root.GetProperty("cost").GetProperty("total").GetDouble() > 0);
        Assert.Equal("catalog", root.GetProperty("metadata").Str("cost_source"));
        Assert.False(root.GetProperty("metadata").Has("run_token_usage"));
    }

    [Fact]
    public async Task Inside_an_open_trace_the_AGENT_span_is_a_child_of_the_current_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = ScriptedToolRun();
        var agent = Agent(model.WithPandaProbe(client)).AsBuilder().UsePandaProbe(client).Build();
        string? insideSpan = null;

        using (var trace = client.StartTrace("support-request"))
        using (var step = trace.Span("handle", SpanType.Chain))
        {
            insideSpan = step.SpanId.ToString();
            await agent.RunAsync("Weather in Oslo?");
            Assert.Same(step, Probe.CurrentSpan);
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("support-request", exported.Str("name"));
        var spans = Spans(exported);
        Assert.Equal(["handle:CHAIN", "weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(Shape));
        Assert.Equal(insideSpan, spans[1].Str("parent_span_id"));
        Assert.All(spans.Skip(2), s => Assert.Equal(spans[1].Str("span_id"), s.Str("parent_span_id")));
        Assert.Equal(model.CurrentSpanDuringCall?.SpanId.ToString(), spans[4].Str("span_id"));
    }

    [Fact]
    public async Task An_unnamed_agent_records_spans_and_trace_named_agent()
    {
        var (client, exporter) = Clients.InMemory();
        var agent = new ChatClientAgent(new FakeChatClient()).WithPandaProbe(client);

        await agent.RunAsync("Hi");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("agent", trace.Str("name"));
        Assert.Equal("agent:AGENT", Shape(Clients.SingleSpan(trace)));
    }

    [Fact]
    public async Task A_user_pipeline_already_traced_around_its_tool_loop_gets_one_TOOL_span_per_call()
    {
        var (client, exporter) = Clients.InMemory();
        var model = ScriptedToolRun();
        var chat = new ChatClientBuilder(model).UsePandaProbe(client).UseFunctionInvocation().UsePandaProbe(client).Build();
        var agent = Agent(chat).WithPandaProbe(client);

        await agent.RunAsync("Weather in Oslo?");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("weather-agent", trace.Str("name"));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(Shape));
        Assert.All(spans.Skip(1), s => Assert.Equal(spans[0].Str("span_id"), s.Str("parent_span_id")));
    }

    [Fact]
    public async Task A_failing_model_call_marks_the_AGENT_span_and_trace_ERROR_and_the_exception_reaches_the_caller_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        var boom = new InvalidOperationException("provider down");
        var agent = Agent(new FakeChatClient { Error = boom }.WithPandaProbe(client)).WithPandaProbe(client);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.RunAsync("Weather in Oslo?"));

        Assert.Same(boom, thrown);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM"], spans.Select(Shape));
        Assert.Equal("ERROR", spans[0].Str("status"));
        Assert.Equal("provider down", spans[0].Str("error"));
        Assert.True(spans[0].Has("ended_at"));
        Assert.Equal("ERROR", spans[1].Str("status"));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
    }

    [Fact]
    public async Task A_failing_tool_is_an_ERROR_TOOL_span_while_the_run_goes_on()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call_9", "explode")])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "The tool failed.")));
        var agent = Agent(model.WithPandaProbe(client)).WithPandaProbe(client);

        var response = await agent.RunAsync("Explode, please");

        Assert.Equal("The tool failed.", response.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "explode:TOOL", "chat:LLM"], spans.Select(Shape));
        var tool = spans[2];
        Assert.Equal("ERROR", tool.Str("status"));
        Assert.Equal("tool broke", tool.Str("error"));
        Assert.Equal("call_9", tool.GetProperty("metadata").Str("tool_call_id"));
        Assert.Equal(spans[0].Str("span_id"), tool.Str("parent_span_id"));
        Assert.Equal("OK", spans[0].Str("status"));
    }

    [Fact]
    public async Task With_tracing_disabled_the_run_passes_straight_through()
    {
        var (client, exporter) = Clients.InMemory(o => o.Enabled = false);
        var agent = Agent(ScriptedToolRun()).WithPandaProbe(client);

        var response = await agent.RunAsync("Weather in Oslo?");

        Assert.Equal("Sunny in Oslo.", response.Text);
        Assert.Empty(await Clients.ExportedAsync(client, exporter));
    }
}
