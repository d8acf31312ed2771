using PandaProbe.Model;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>Non-streaming calls through <see cref="PandaProbeChatClient"/> (CONTRACT §5: the LLM wrapper pattern).</summary>
public class ChatClientTests
{
    static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You are terse."),
        new(ChatRole.User, "What is 2+2?"),
        new(ChatRole.Assistant, "4."),
        new(ChatRole.User, "And 3+3?"),
    ];

    [Fact]
    public async Task Without_an_open_trace_a_standalone_trace_holds_one_LLM_span()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient
        {
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "6."))
            {
                ModelId = "gpt-4o-2024-08-06",
                FinishReason = ChatFinishReason.Stop,
            },
        };
        var chat = fake.WithPandaProbe(client);

        ChatResponse response;
        using (Probe.Session("session-7"))
        using (Probe.User("user-3"))
            response = await chat.GetResponseAsync(Conversation, new ChatOptions { ModelId = "gpt-4o" });

        Assert.Same(fake.Response, response);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("session-7", trace.Str("session_id"));
        Assert.Equal("user-3", trace.Str("user_id"));
        Assert.Equal("""{"messages":[{"role":"user","content":"And 3+3?"}]}""", trace.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"6."}]}""", trace.GetProperty("output").Raw());

        var span = Clients.SingleSpan(trace);
        Assert.Equal("chat", span.Str("name"));
        Assert.Equal("LLM", span.Str("kind"));
        Assert.Equal("OK", span.Str("status"));
        Assert.False(span.Has("parent_span_id"));
        Assert.Equal("gpt-4o-2024-08-06", span.Str("model"));
        Assert.Equal(
            """{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is 2+2?"},{"role":"assistant","content":"4."},{"role":"user","content":"And 3+3?"}]}""",
            span.GetProperty("input").Raw());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"6."}]}""", span.GetProperty("output").Raw());
        Assert.Equal("stop", span.GetProperty("metadata").GetProperty("finish_reason").GetString());
        Assert.False(span.Has("completion_start_time"));
        Assert.False(span.Has("token_usage"));
    }

    [Fact]
    public async Task The_requested_model_is_kept_when_the_response_reports_none()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);

        await chat.GetResponseAsync("hi", new ChatOptions { ModelId = "claude-sonnet" });

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("claude-sonnet", span.Str("model"));
    }

    [Fact]
    public async Task Inside_an_open_trace_the_call_is_a_child_of_the_current_span()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient();
        var chat = fake.WithPandaProbe(client, spanName: "llm-call");

        Guid agentId;
        using (var trace = client.StartTrace("agent-run", input: "question"))
        using (var agent = trace.Span("agent", SpanType.Agent))
        {
            agentId = agent.SpanId;
            await chat.GetResponseAsync("hi");
            Assert.Same(agent, Probe.CurrentSpan);
            trace.SetOutput("answer");
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("agent-run", exported.Str("name"));
        Assert.Equal("question", exported.GetProperty("input").GetString());
        Assert.Equal("answer", exported.GetProperty("output").GetString());
        var llm = Clients.SpanNamed(exported, "llm-call");
        Assert.Equal(agentId.ToString(), llm.Str("parent_span_id"));
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal(llm.Str("span_id"), fake.CurrentSpanDuringCall?.SpanId.ToString());
    }

    [Fact]
    public async Task Only_whitelisted_options_become_model_parameters()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);
        var options = new ChatOptions
        {
            ModelId = "m",
            Temperature = 0.5f,
            TopP = 0.9f,
            TopK = 40,
            MaxOutputTokens = 256,
            FrequencyPenalty = 0.1f,
            PresencePenalty = 0.2f,
            Seed = 42,
            StopSequences = ["END"],
            ResponseFormat = ChatResponseFormat.Json,
            ConversationId = "conv-1",
            Instructions = "Be brief.",
            Tools = [new HostedWebSearchTool()],
            ToolMode = ChatToolMode.Auto,
            AdditionalProperties = new AdditionalPropertiesDictionary { ["api_key"] = "secret" },
        };

        await chat.GetResponseAsync("hi", options);

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var parameters = span.GetProperty("model_parameters");
        Assert.Equal(
            ["frequency_penalty", "max_tokens", "presence_penalty", "response_format", "seed", "stop_sequences", "temperature", "top_k", "top_p"],
            parameters.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(0.5, parameters.GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(256, parameters.GetProperty("max_tokens").GetInt32());
        Assert.Equal(42, parameters.GetProperty("seed").GetInt64());
        Assert.Equal("""["END"]""", parameters.GetProperty("stop_sequences").Raw());
        Assert.Equal("json", parameters.GetProperty("response_format").GetString());
        Assert.DoesNotContain("secret", span.Raw());
        Assert.Equal("""{"role":"system","content":"Be brief."}""", span.GetProperty("input").GetProperty("messages")[0].Raw());
    }

    [Fact]
    public async Task Usage_maps_to_canonical_token_keys()
    {
        var (client, exporter) = Clients.InMemory();
        var usage = new UsageDetails
        {
            InputTokenCount = 100,
            OutputTokenCount = 20,
            TotalTokenCount = 120,
            CachedInputTokenCount = 60,
            ReasoningTokenCount = 8,
            AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["audio_tokens"] = 3, ["zero_tokens"] = 0 },
        };
        var chat = new FakeChatClient { Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "x")) { Usage = usage } }
            .WithPandaProbe(client);

        await chat.GetResponseAsync("hi");

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var tokens = span.GetProperty("token_usage").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        Assert.Equal(new Dictionary<string, long>
        {
            ["prompt_tokens"] = 100, ["completion_tokens"] = 20, ["total_tokens"] = 120,
            ["cache_read_tokens"] = 60, ["reasoning_tokens"] = 8, ["audio_tokens"] = 3,
        }, tokens);
    }

    [Fact]
    public async Task Provider_specific_cached_counts_map_to_cache_read_tokens()
    {
        var (client, exporter) = Clients.InMemory();
        var usage = new UsageDetails
        {
            InputTokenCount = 10,
            OutputTokenCount = 2,
            AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["cached_prompt_tokens"] = 4, ["cache_creation_input_tokens"] = 5 },
        };
        var chat = new FakeChatClient { Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "x")) { Usage = usage } }
            .WithPandaProbe(client);

        await chat.GetResponseAsync("hi");

        var tokens = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter))).GetProperty("token_usage");
        Assert.Equal(4, tokens.GetProperty("cache_read_tokens").GetInt64());
        Assert.Equal(5, tokens.GetProperty("cache_creation_tokens").GetInt64());
        Assert.False(tokens.Has("total_tokens"));
        Assert.False(tokens.Has("cached_prompt_tokens"));
    }

    [Fact]
    public async Task Tool_calls_and_tool_results_keep_the_messages_form()
    {
        var (client, exporter) = Clients.InMemory();
        var call = new FunctionCallContent("call-1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" });
        var fake = new FakeChatClient
        {
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) { FinishReason = ChatFinishReason.ToolCalls },
        };
        var chat = fake.WithPandaProbe(client);
        ChatMessage[] history =
        [
            new(ChatRole.User, "Weather in Oslo and Rome?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call-0", "get_weather", new Dictionary<string, object?> { ["city"] = "Rome" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call-0", "sunny"), new FunctionResultContent("call-9", new { celsius = 21 })]),
        ];

        await chat.GetResponseAsync(history);

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var span = Clients.SingleSpan(trace);
        var input = span.GetProperty("input").GetProperty("messages");
        Assert.Equal(4, input.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, input[1].GetProperty("content").ValueKind);
        Assert.Equal("""[{"id":"call-0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]""",
            input[1].GetProperty("tool_calls").Raw());
        Assert.Equal("""{"role":"tool","tool_call_id":"call-0","content":"sunny"}""", input[2].Raw());
        Assert.Equal("""{"role":"tool","tool_call_id":"call-9","content":"{\"celsius\":21}"}""", input[3].Raw());

        var output = span.GetProperty("output").GetProperty("messages");
        var message = Assert.Single(output.EnumerateArray().ToList());
        Assert.Equal("assistant", message.Str("role"));
        Assert.Equal("get_weather", message.GetProperty("tool_calls")[0].GetProperty("function").Str("name"));
        Assert.Equal("""{"city":"Oslo"}""", message.GetProperty("tool_calls")[0].GetProperty("function").Str("arguments"));
        Assert.Equal("tool_calls", span.GetProperty("metadata").Str("finish_reason"));
        Assert.Equal("call-1", trace.GetProperty("output").GetProperty("messages")[0].GetProperty("tool_calls")[0].Str("id"));
    }

    [Fact]
    public async Task Non_text_content_is_kept_as_a_list_of_parts_without_the_bytes()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);
        var image = new DataContent(new byte[] { 1, 2, 3, 4, 5 }, "image/png") { Name = "chart.png" };
        var link = new UriContent(new Uri("https://example.com/doc.pdf"), "application/pdf");

        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, [new TextContent("Describe these"), image, link])]);

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var content = Clients.SingleSpan(trace).GetProperty("input").GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(
            """[{"type":"text","text":"Describe these"},{"type":"data","media_type":"image/png","name":"chart.png","bytes":5},{"type":"uri","media_type":"application/pdf","uri":"https://example.com/doc.pdf"}]""",
            content.Raw());
        Assert.Equal(JsonValueKind.Array, trace.GetProperty("input").GetProperty("messages")[0].GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task Several_text_parts_are_flattened_into_one_string()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);

        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, [new TextContent("Hello, "), new TextContent("world")])]);

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("Hello, world", span.GetProperty("input").GetProperty("messages")[0].Str("content"));
    }

    [Fact]
    public async Task Reasoning_goes_to_metadata_not_to_the_output()
    {
        var (client, exporter) = Clients.InMemory();
        var reply = new ChatMessage(ChatRole.Assistant,
            [new TextReasoningContent("First, add."), new TextReasoningContent("Then check."), new TextContent("6")]);
        var chat = new FakeChatClient { Response = new ChatResponse(reply) }.WithPandaProbe(client);

        await chat.GetResponseAsync("3+3?");

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"6"}]}""", span.GetProperty("output").Raw());
        Assert.Equal("First, add.\n\nThen check.", span.GetProperty("metadata").Str("reasoning_summary"));
    }

    [Fact]
    public async Task An_error_is_recorded_and_rethrown_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        var boom = new InvalidOperationException("provider unavailable");
        var chat = new FakeChatClient { Error = boom }.WithPandaProbe(client);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => chat.GetResponseAsync("hi"));

        Assert.Same(boom, thrown);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        Assert.Equal("provider unavailable", trace.GetProperty("metadata").Str("error"));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal("provider unavailable", span.Str("error"));
        Assert.True(span.Has("ended_at"));
        Assert.False(span.Has("output"));
    }

    [Fact]
    public async Task An_error_inside_an_open_trace_marks_the_span_not_the_trace()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient { Error = new TimeoutException("slow") }.WithPandaProbe(client);

        using (client.StartTrace("outer"))
        {
            await Assert.ThrowsAsync<TimeoutException>(() => chat.GetResponseAsync("hi"));
        }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("ERROR", Clients.SingleSpan(trace).Str("status"));
    }

    [Fact]
    public async Task A_disabled_client_records_nothing_and_passes_the_call_through()
    {
        var (client, exporter) = Clients.InMemory(o => o.Enabled = false);
        var fake = new FakeChatClient();
        var chat = fake.WithPandaProbe(client);

        var response = await chat.GetResponseAsync("hi");

        Assert.Same(fake.Response, response);
        Assert.Single(fake.Received);
        Assert.False(client.IsEnabled);
        Assert.Empty(exporter.Traces);
    }

    [Fact]
    public async Task Unserializable_tool_arguments_never_affect_the_response()
    {
        var (client, exporter) = Clients.InMemory();
        var call = new FunctionCallContent("c", "upload", new Dictionary<string, object?> { ["body"] = new MemoryStream([1, 2]) });
        var fake = new FakeChatClient { Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) };
        var chat = fake.WithPandaProbe(client);

        var response = await chat.GetResponseAsync("hi");

        Assert.Same(fake.Response, response);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("OK", span.Str("status"));
        var function = span.GetProperty("output").GetProperty("messages")[0].GetProperty("tool_calls")[0].GetProperty("function");
        Assert.Equal("upload", function.Str("name"));
        Assert.Equal("{}", function.Str("arguments"));
    }

    [Fact]
    public async Task A_one_shot_message_sequence_is_enumerated_once()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient();
        var chat = fake.WithPandaProbe(client);
        var enumerations = 0;
        IEnumerable<ChatMessage> OneShot()
        {
            if (++enumerations > 1) throw new InvalidOperationException("enumerated twice");
            yield return new ChatMessage(ChatRole.User, "hi");
        }

        await chat.GetResponseAsync(OneShot());

        Assert.Equal(1, enumerations);
        Assert.Equal("hi", Assert.Single(Assert.Single(fake.Received)).Text);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("hi", span.GetProperty("input").GetProperty("messages")[0].Str("content"));
    }

    [Fact]
    public async Task Client_metadata_supplies_the_default_model_and_the_provider()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient { Metadata = new ChatClientMetadata("openai", new Uri("https://api.openai.com"), "gpt-4o-mini") };
        var chat = fake.WithPandaProbe(client);

        await chat.GetResponseAsync("hi");

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("gpt-4o-mini", span.Str("model"));
        Assert.Equal("openai", span.GetProperty("metadata").Str("provider"));
    }

    [Fact]
    public async Task The_wrapper_is_found_and_still_exposes_the_inner_services()
    {
        var (client, _) = Clients.InMemory();
        var fake = new FakeChatClient { Metadata = new ChatClientMetadata("p") };
        var chat = fake.WithPandaProbe(client, "gen");

        var wrapper = Assert.IsType<PandaProbeChatClient>(chat);
        Assert.Equal("gen", wrapper.SpanName);
        Assert.Same(wrapper, chat.GetService<PandaProbeChatClient>());
        Assert.Same(fake, chat.GetService<FakeChatClient>());
        Assert.Same(fake.Metadata, chat.GetService<ChatClientMetadata>());
        Assert.Equal(PandaProbeChatClient.DefaultSpanName, new FakeChatClient().WithPandaProbe(client).GetService<PandaProbeChatClient>()!.SpanName);
        await client.ShutdownAsync();
    }

    sealed class Hostile
    {
        public int Value => throw new InvalidOperationException("property");
        public override string ToString() => throw new InvalidOperationException("to string");
    }

    [Fact]
    public async Task A_request_whose_messages_cannot_be_described_reaches_the_provider_and_is_traced_with_a_counted_marker()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient();
        var chat = fake.WithPandaProbe(client);
        ChatMessage[] messages = [new(ChatRole.Tool, [new FunctionResultContent("c", new Hostile())])];

        var response = await chat.GetResponseAsync(messages);

        Assert.Same(fake.Response, response);
        Assert.Single(fake.Received);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("<unserializable PandaProbe.Extensions.AI.Internal.ChatMessages>", span.GetProperty("input").GetString());
        Assert.Equal("""{"messages":[{"role":"assistant","content":"ok"}]}""", span.GetProperty("output").Raw());
        Assert.True(client.Health.Unserializable >= 1);
    }
}
