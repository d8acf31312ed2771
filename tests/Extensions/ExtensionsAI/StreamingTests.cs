using PandaProbe.Model;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>Streaming calls: updates pass through unchanged and the span is finalized exactly once, however the stream ends.</summary>
public class StreamingTests
{
    static ChatResponseUpdate Text(string text, string? model = null) =>
        new(ChatRole.Assistant, text) { ModelId = model, MessageId = "m1" };

    static ChatResponseUpdate Usage(long input, long output) =>
        new() { Contents = [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output })] };

    static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    sealed class StepClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task A_completed_stream_passes_every_update_and_records_text_usage_and_first_token_time()
    {
        var (client, exporter) = Clients.InMemory();
        var clock = new StepClock(Start);
        ChatResponseUpdate[] updates =
        [
            Text("Hel", "gpt-4o-2024-08-06"),
            Text("lo"),
            Usage(12, 2),
            new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop },
        ];
        var fake = new FakeChatClient { Updates = updates };
        var chat = new PandaProbeChatClient(fake, client, timeProvider: clock);

        var received = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o", Temperature = 0 }))
        {
            received.Add(update);
            clock.Now += TimeSpan.FromSeconds(1);
        }

        Assert.Equal(updates, received);
        Assert.True(fake.StreamDisposed);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("COMPLETED", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello"}]}""", trace.GetProperty("output").Raw());
        var span = Clients.SingleSpan(trace);
        Assert.Equal("OK", span.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"Hello"}]}""", span.GetProperty("output").Raw());
        Assert.Equal("gpt-4o-2024-08-06", span.Str("model"));
        Assert.Equal("2026-03-01T12:00:00+00:00", span.Str("completion_start_time"));
        Assert.Equal(new Dictionary<string, long> { ["prompt_tokens"] = 12, ["completion_tokens"] = 2, ["total_tokens"] = 14 },
            span.GetProperty("token_usage").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        Assert.Equal("stop", span.GetProperty("metadata").Str("finish_reason"));
        Assert.False(span.GetProperty("metadata").Has("stream_incomplete"));
        Assert.Equal(0, span.GetProperty("model_parameters").GetProperty("temperature").GetDouble());
    }

    [Fact]
    public async Task Stopping_early_finalizes_once_as_OK_and_marks_the_stream_incomplete()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient { Updates = [Text("The "), Text("answer "), Text("is 42")] };
        var chat = fake.WithPandaProbe(client);

        await foreach (var update in chat.GetStreamingResponseAsync("hi"))
        {
            if (update.Text == "answer ") break;
        }

        Assert.True(fake.StreamDisposed);
        Assert.Equal(2, fake.UpdatesYielded);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("OK", span.Str("status"));
        Assert.True(span.GetProperty("metadata").GetProperty("stream_incomplete").GetBoolean());
        Assert.Equal("The answer ", span.GetProperty("output").GetProperty("messages")[0].Str("content"));
        Assert.True(span.Has("ended_at"));
        Assert.Equal("COMPLETED", trace.Str("status"));
    }

    [Fact]
    public async Task Disposing_the_enumerator_by_hand_also_finalizes_exactly_once()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient { Updates = [Text("a"), Text("b")] };
        var chat = fake.WithPandaProbe(client);

        using (var trace = client.StartTrace("outer"))
        {
            var enumerator = chat.GetStreamingResponseAsync("hi").GetAsyncEnumerator();
            Assert.True(await enumerator.MoveNextAsync());
            await enumerator.DisposeAsync();
            await enumerator.DisposeAsync();
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var span = Clients.SpanNamed(exported, "chat");
        Assert.True(span.GetProperty("metadata").GetProperty("stream_incomplete").GetBoolean());
        Assert.Equal("a", span.GetProperty("output").GetProperty("messages")[0].Str("content"));
        Assert.Empty(exporter.LateSpans);
    }

    [Fact]
    public async Task A_failing_stream_records_the_error_and_rethrows_it_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        var boom = new HttpRequestException("connection reset");
        var first = Text("par", "gpt-4o-2024-08-06");
        first.ResponseId = "resp_9";
        var fake = new FakeChatClient { Updates = [first, Text("tial")], StreamError = boom };
        var chat = fake.WithPandaProbe(client);

        var received = new List<string>();
        var thrown = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" })) received.Add(update.Text);
        });

        Assert.Same(boom, thrown);
        Assert.Equal(["par", "tial"], received);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"partial"}]}""", trace.GetProperty("output").Raw());
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal("connection reset", span.Str("error"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"partial"}]}""", span.GetProperty("output").Raw());
        Assert.Equal("gpt-4o-2024-08-06", span.Str("model"));
        Assert.Equal("resp_9", span.GetProperty("metadata").Str("response_id"));
        Assert.Equal("gpt-4o", span.GetProperty("metadata").Str("gen_ai.request.model"));
        Assert.Equal("gpt-4o-2024-08-06", span.GetProperty("metadata").Str("gen_ai.response.model"));
        Assert.True(span.Has("completion_start_time"));
        Assert.False(span.GetProperty("metadata").Has("stream_incomplete"));
    }

    [Fact]
    public async Task Inside_an_open_trace_the_stream_is_a_child_span_and_does_not_become_current()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient { Updates = [Text("x")] }.WithPandaProbe(client);

        Guid toolId;
        using (var trace = client.StartTrace("run"))
        using (var step = trace.Span("step", SpanType.Chain))
        {
            await foreach (var _ in chat.GetStreamingResponseAsync("hi"))
                Assert.Same(step, Probe.CurrentSpan);
            using var tool = trace.Span("tool", SpanType.Tool);
            toolId = tool.SpanId;
            Assert.Equal(step.SpanId, tool.ParentId);
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(Clients.SpanNamed(exported, "step").Str("span_id"), Clients.SpanNamed(exported, "chat").Str("parent_span_id"));
        Assert.Equal(3, exported.GetProperty("spans").GetArrayLength());
    }

    [Fact]
    public async Task A_stream_that_is_never_enumerated_records_nothing()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient { Updates = [Text("x")] };
        var chat = fake.WithPandaProbe(client);

        _ = chat.GetStreamingResponseAsync("hi");

        Assert.Empty(await Clients.ExportedAsync(client, exporter));
        Assert.Empty(fake.Received);
    }

    [Fact]
    public async Task Streamed_tool_calls_are_kept_in_the_output()
    {
        var (client, exporter) = Clients.InMemory();
        var call = new FunctionCallContent("call-7", "search", new Dictionary<string, object?> { ["q"] = "panda" });
        var fake = new FakeChatClient
        {
            Updates = [new ChatResponseUpdate(ChatRole.Assistant, [call]) { MessageId = "m1" }, Usage(5, 1)],
        };
        var chat = fake.WithPandaProbe(client);

        await foreach (var _ in chat.GetStreamingResponseAsync("find pandas")) { }

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var message = span.GetProperty("output").GetProperty("messages")[0];
        Assert.Equal("""[{"id":"call-7","type":"function","function":{"name":"search","arguments":"{\"q\":\"panda\"}"}}]""",
            message.GetProperty("tool_calls").Raw());
        Assert.Equal(5, span.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
    }

    [Fact]
    public async Task A_disabled_client_streams_through_without_recording()
    {
        var (client, exporter) = Clients.InMemory(o => o.Enabled = false);
        ChatResponseUpdate[] updates = [Text("a"), Text("b")];
        var chat = new FakeChatClient { Updates = updates }.WithPandaProbe(client);

        var received = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("hi")) received.Add(update);

        Assert.Equal(updates, received);
        Assert.Empty(exporter.Traces);
    }

    [Fact]
    public async Task A_standalone_stream_does_not_leak_its_trace_into_the_consumers_flow()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient { Updates = [Text("a"), Text("b")] }.WithPandaProbe(client);

        var seen = new List<TraceContext?>();
        await foreach (var _ in chat.GetStreamingResponseAsync("hi")) seen.Add(Probe.CurrentTrace);

        Assert.Equal([null, null], seen);
        Assert.Null(Probe.CurrentTrace);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("chat", trace.Str("name"));
    }

    [Fact]
    public async Task Cancelling_a_stream_records_an_error_and_rethrows_the_cancellation()
    {
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient { Updates = [Text("a"), Text("b"), Text("c")] }.WithPandaProbe(client);
        using var cancel = new CancellationTokenSource();

        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in chat.GetStreamingResponseAsync("hi").WithCancellation(cancel.Token))
            {
                received++;
                cancel.Cancel();
            }
        });

        Assert.Equal(1, received);
        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal("""{"messages":[{"role":"assistant","content":"a"}]}""", span.GetProperty("output").Raw());
        Assert.True(span.GetProperty("metadata").GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task Concurrent_streams_without_a_trace_each_get_their_own_trace()
    {
        var (client, exporter) = Clients.InMemory();
        const int count = 16;

        await Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            var chat = new FakeChatClient { Updates = [Text($"answer {i}")] }.WithPandaProbe(client);
            await foreach (var _ in chat.GetStreamingResponseAsync($"question {i}")) { }
        })));

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(count, traces.Count);
        foreach (var trace in traces)
        {
            var question = trace.GetProperty("input").GetProperty("messages")[0].Str("content")!;
            var span = Clients.SingleSpan(trace);
            Assert.Equal(question.Replace("question", "answer"), span.GetProperty("output").GetProperty("messages")[0].Str("content"));
        }
    }
}
