using System.Diagnostics;
using System.Text.Json;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// The same model call as each generation of the gen_ai conventions records it (v1.36 events, v1.37 details event,
/// v1.41 attributes, semantic-conventions-genai v0.1.0, and the deprecated prompt/completion events), built here as
/// the libraries emit them, ingested into one model: the same input, output, model, provider, usage and finish reason.
/// Listeners are process-wide, so these tests run in the process-wide collection.
/// </summary>
[Collection(ProcessWide.Name)]
public class GenAiGenerationsTests
{
    const string Source = "PandaProbe.Tests.Generations";

    const string Input = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}""";
    const string Output = """{"messages":[{"role":"assistant","content":"Hello!"}]}""";

    const string PartsInput = """[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]""";
    const string PartsOutput = """[{"role":"assistant","parts":[{"type":"text","content":"Hello!"}],"finish_reason":"stop"}]""";
    const string PartsInstructions = """[{"type":"text","content":"Be brief."}]""";

    /// <summary>Each generation's tags and events for: system "Be brief.", user "Hi", assistant "Hello!", 10 in / 5 out.</summary>
    static readonly Dictionary<string, Action<Activity>> Chat = new()
    {
        ["v1.41"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.provider.name", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.system_instructions", PartsInstructions);
            a.SetTag("gen_ai.input.messages", PartsInput);
            a.SetTag("gen_ai.output.messages", PartsOutput);
            a.SetTag("gen_ai.response.finish_reasons", new[] { "stop" });
            a.SetTag("gen_ai.usage.input_tokens", 10);
            a.SetTag("gen_ai.usage.output_tokens", 5);
            a.SetTag("gen_ai.usage.cache_read.input_tokens", 4);
            a.SetTag("gen_ai.usage.cache_creation.input_tokens", 3);
            a.SetTag("gen_ai.usage.reasoning.output_tokens", 2);
        },
        ["v0.1.0"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.provider.name", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.system_instructions", PartsInstructions);
            a.SetTag("gen_ai.input.messages", PartsInput);
            // v0.1.0 deprecates the per-message finish_reason for gen_ai.response.finish_reasons.
            a.SetTag("gen_ai.output.messages", """[{"role":"assistant","parts":[{"type":"text","content":"Hello!"}]}]""");
            a.SetTag("gen_ai.response.finish_reasons", new[] { "stop" });
            a.SetTag("gen_ai.usage.input_tokens", 10L);
            a.SetTag("gen_ai.usage.output_tokens", 5L);
            a.SetTag("gen_ai.usage.cache_read.input_tokens", 4L);
            a.SetTag("gen_ai.usage.cache_write.input_tokens", 3L);
            a.SetTag("gen_ai.usage.reasoning.output_tokens", 2L);
        },
        ["v1.37 details event"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.provider.name", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.response.finish_reasons", new[] { "stop" });
            a.SetTag("gen_ai.usage.input_tokens", 10);
            a.SetTag("gen_ai.usage.output_tokens", 5);
            a.SetTag("gen_ai.usage.cache_read.input_tokens", 4);
            a.SetTag("gen_ai.usage.cache_creation.input_tokens", 3);
            a.SetTag("gen_ai.usage.reasoning.output_tokens", 2);
            a.AddEvent(new ActivityEvent("gen_ai.client.inference.operation.details", tags: new ActivityTagsCollection
            {
                ["gen_ai.system_instructions"] = PartsInstructions,
                ["gen_ai.input.messages"] = PartsInput,
                ["gen_ai.output.messages"] = PartsOutput,
            }));
        },
        ["v1.36 message events"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.system", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.usage.input_tokens", 10);
            a.SetTag("gen_ai.usage.output_tokens", 5);
            a.AddEvent(Event("gen_ai.system.message", """{"content":"Be brief."}"""));
            a.AddEvent(Event("gen_ai.user.message", """{"content":"Hi"}"""));
            a.AddEvent(Event("gen_ai.choice", """{"index":0,"finish_reason":"stop","message":{"content":"Hello!"}}"""));
        },
        ["v1.36 message events as attributes"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat");
            a.SetTag("gen_ai.system", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.usage.input_tokens", 10);
            a.SetTag("gen_ai.usage.output_tokens", 5);
            a.AddEvent(new ActivityEvent("gen_ai.system.message", tags: new ActivityTagsCollection { ["gen_ai.system"] = "openai", ["content"] = "Be brief." }));
            a.AddEvent(new ActivityEvent("gen_ai.user.message", tags: new ActivityTagsCollection { ["gen_ai.system"] = "openai", ["content"] = "Hi" }));
            a.AddEvent(new ActivityEvent("gen_ai.choice", tags: new ActivityTagsCollection
            {
                ["gen_ai.system"] = "openai", ["index"] = 0, ["finish_reason"] = "stop", ["message"] = """{"content":"Hello!"}""",
            }));
        },
        ["deprecated prompt and completion events"] = a =>
        {
            a.SetTag("gen_ai.operation.name", "chat.completions");
            a.SetTag("gen_ai.system", "openai");
            a.SetTag("gen_ai.request.model", "gpt-4o");
            a.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
            a.SetTag("gen_ai.response.finish_reasons", "[\"stop\"]");
            a.SetTag("gen_ai.usage.prompt_tokens", 10);
            a.SetTag("gen_ai.usage.completion_tokens", 5);
            a.AddEvent(new ActivityEvent("gen_ai.content.prompt", tags: new ActivityTagsCollection
            {
                ["gen_ai.prompt"] = """[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]""",
            }));
            a.AddEvent(new ActivityEvent("gen_ai.content.completion", tags: new ActivityTagsCollection
            {
                ["gen_ai.completion"] = """[{"role":"assistant","content":"Hello!"}]""",
            }));
        },
    };

    static ActivityEvent Event(string name, string body) =>
        new(name, tags: new ActivityTagsCollection { ["gen_ai.system"] = "openai", ["gen_ai.event.content"] = body });

    public static TheoryData<string> Generations() => new(Chat.Keys);

    static async Task<JsonElement> IngestAsync(string displayName, Action<Activity> emit)
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource(Source);
        using (client.IngestGenAiActivities(Source))
        using (var activity = source.StartActivity(displayName, ActivityKind.Client))
        {
            Assert.NotNull(activity);
            emit(activity);
        }
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        return Clients.SingleSpan(trace);
    }

    [Theory]
    [MemberData(nameof(Generations))]
    public async Task Every_generation_of_a_chat_call_is_read_into_the_same_span(string generation)
    {
        var span = await IngestAsync("chat gpt-4o", Chat[generation]);

        Assert.Equal("LLM", span.Str("kind"));
        Assert.Equal("chat", span.Str("name"));
        Assert.Equal("gpt-4o-2024-08-06", span.Str("model"));
        Assert.Equal(Input, span.GetProperty("input").Raw());
        Assert.Equal(Output, span.GetProperty("output").Raw());
        var metadata = span.GetProperty("metadata");
        Assert.Equal("openai", metadata.Str("provider"));
        Assert.Equal("stop", metadata.Str("finish_reason"));
        var usage = span.GetProperty("token_usage");
        Assert.Equal(10, usage.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(5, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(15, usage.GetProperty("total_tokens").GetInt64());
        if (generation.StartsWith("v1.4", StringComparison.Ordinal) || generation.StartsWith("v0.1", StringComparison.Ordinal)
            || generation.StartsWith("v1.37", StringComparison.Ordinal))
        {
            Assert.Equal(4, usage.GetProperty("cache_read_tokens").GetInt64());
            Assert.Equal(3, usage.GetProperty("cache_creation_tokens").GetInt64());
            Assert.Equal(2, usage.GetProperty("reasoning_tokens").GetInt64());
        }
    }

    [Fact]
    public async Task A_tool_round_trip_reads_the_same_from_v1_36_events_and_v1_41_parts()
    {
        const string expected = """{"messages":[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"sunny"}]}""";

        var v136 = await IngestAsync("chat gpt-4o", a =>
        {
            a.SetTag("gen_ai.system", "openai");
            a.AddEvent(Event("gen_ai.user.message", """{"content":"Weather in Oslo?"}"""));
            a.AddEvent(Event("gen_ai.assistant.message",
                """{"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]}"""));
            a.AddEvent(Event("gen_ai.tool.message", """{"content":"sunny","id":"call_1"}"""));
        });
        var v141 = await IngestAsync("chat gpt-4o", a =>
        {
            a.SetTag("gen_ai.provider.name", "openai");
            a.SetTag("gen_ai.input.messages", """
                [{"role":"user","parts":[{"type":"text","content":"Weather in Oslo?"}]},
                 {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Oslo"}}]},
                 {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"sunny"}]}]
                """);
        });

        Assert.Equal(expected, v136.GetProperty("input").Raw());
        Assert.Equal(expected, v141.GetProperty("input").Raw());
    }
}
