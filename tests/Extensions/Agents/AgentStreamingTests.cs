using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Agents;

/// <summary>Streamed runs of a real <see cref="ChatClientAgent"/> traced with <c>WithPandaProbe()</c>.</summary>
public class AgentStreamingTests
{
    static string GetWeather(string city) => $"sunny in {city}";

    static ChatResponseUpdate Text(string text, string messageId = "m2") =>
        new(ChatRole.Assistant, text) { MessageId = messageId, ResponseId = "resp_2" };

    static FakeChatClient ScriptedStream(params ChatResponseUpdate[] answer)
    {
        var model = new FakeChatClient();
        model.StreamScript.Enqueue(
        [
            new ChatResponseUpdate(ChatRole.Assistant,
                [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])
            { MessageId = "m1", ResponseId = "resp_1" },
        ]);
        model.StreamScript.Enqueue(answer);
        return model;
    }

    static AIAgent Traced(IChatClient chat, PandaProbeClient client) =>
        new ChatClientAgent(chat, name: "weather-agent", tools: [AIFunctionFactory.Create(GetWeather, "get_weather")])
            .WithPandaProbe(client);

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static string Shape(JsonElement span) => $"{span.Str("name")}:{span.Str("kind")}";

    [Fact]
    public async Task A_completed_stream_is_one_AGENT_span_with_the_model_and_tool_spans_beneath_it()
    {
        var (client, exporter) = Clients.InMemory();
        var model = ScriptedStream(Text("Sun"), Text("ny."),
            new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 40, OutputTokenCount = 3 })])
            { MessageId = "m2" });
        var agent = Traced(model.WithPandaProbe(client), client);

        var text = "";
        var seen = 0;
        await foreach (var update in agent.RunStreamingAsync("Weather in Oslo?"))
        {
            seen++;
            text += update.Text;
            // Updates pass through as they arrive: nothing is exported before the stream ends.
            Assert.Empty(exporter.Traces);
        }

        Assert.Equal("Sunny.", text);
        Assert.True(seen >= 3);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("weather-agent", trace.Str("name"));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sunny."}]}""", trace.GetProperty("output").Raw());
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"], spans.Select(Shape));
        var root = spans[0];
        Assert.False(root.Has("parent_span_id"));
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));
        Assert.Equal("OK", root.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sunny."}]}""", root.GetProperty("output").Raw());
        var metadata = root.GetProperty("metadata");
        Assert.True(metadata.GetProperty("stream").GetBoolean());
        Assert.False(metadata.Has("stream_incomplete"));
        Assert.Equal(40, metadata.GetProperty("run_token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal("sunny in Oslo", spans[2].GetProperty("output").GetString());
    }

    [Fact]
    public async Task A_consumer_that_stops_early_ends_the_AGENT_span_with_what_arrived()
    {
        var (client, exporter) = Clients.InMemory();
        var model = ScriptedStream(Text("Sun"), Text("ny."), Text(" Warm."));
        var agent = Traced(model.WithPandaProbe(client), client);

        var text = "";
        await foreach (var update in agent.RunStreamingAsync("Weather in Oslo?"))
        {
            text += update.Text;
            if (text == "Sun") break;
        }

        Assert.Equal("Sun", text);
        Assert.True(model.StreamDisposed);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = Spans(trace);
        var root = spans[0];
        Assert.Equal("weather-agent:AGENT", Shape(root));
        Assert.Equal("OK", root.Str("status"));
        Assert.True(root.Has("ended_at"));
        Assert.True(root.GetProperty("metadata").GetProperty("stream_incomplete").GetBoolean());
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sun"}]}""", root.GetProperty("output").Raw());
        Assert.All(spans.Skip(1), s => Assert.Equal(root.Str("span_id"), s.Str("parent_span_id")));
        Assert.Contains("get_weather:TOOL", spans.Select(Shape));
    }

    [Fact]
    public async Task A_stream_that_fails_keeps_the_partial_output_and_rethrows_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        var boom = new HttpRequestException("connection reset");
        var model = new FakeChatClient { Updates = [Text("Sun")], StreamError = boom };
        var agent = Traced(model.WithPandaProbe(client), client);

        var text = "";
        var thrown = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var update in agent.RunStreamingAsync("Weather in Oslo?"))
                text += update.Text;
        });

        Assert.Same(boom, thrown);
        Assert.Equal("Sun", text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var root = Spans(trace)[0];
        Assert.Equal("weather-agent:AGENT", Shape(root));
        Assert.Equal("ERROR", root.Str("status"));
        Assert.Equal("connection reset", root.Str("error"));
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sun"}]}""", root.GetProperty("output").Raw());
    }

    [Fact]
    public async Task A_cancelled_stream_is_ERROR_with_what_arrived_and_the_cancellation_reaches_the_caller()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Updates = [Text("Sun"), Text("ny."), Text(" Warm.")] };
        var agent = Traced(model.WithPandaProbe(client), client);
        using var cancel = new CancellationTokenSource();

        var text = "";
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in agent.RunStreamingAsync("Weather in Oslo?", cancellationToken: cancel.Token))
            {
                text += update.Text;
                // The consumer's own flow is not inside the agent's trace.
                Assert.Null(Probe.CurrentTrace);
                cancel.Cancel();
            }
        });

        Assert.Equal("Sun", text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var spans = Spans(trace);
        Assert.Equal(["weather-agent:AGENT", "chat:LLM"], spans.Select(Shape));
        Assert.Equal("ERROR", spans[0].Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","name":"weather-agent","content":"Sun"}]}""", spans[0].GetProperty("output").Raw());
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
    }
}
