using PandaProbe.Messages;
using OpenTelemetry;
using OpenTelemetry.Trace;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Docs;

/// <summary>
/// The README's code blocks, compiled and run. Each <c>Example…</c> method's body is exactly what the README shows
/// (a trailing <c>return</c> that hands a local to the test is not part of the block); each test installs an
/// in-memory default client, runs the example and asserts on what was exported. When you change a README block,
/// change its example here, and the other way round.
/// </summary>
[Collection(ProbeCollection.Name)]
public partial class ReadmeExamples
{
    // ---- the tests ----------------------------------------------------------------------------------------------

    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    static JsonElement Body(TraceRecord t) => JsonDocument.Parse(t.ToJson()).RootElement.Clone();

    static async Task<IReadOnlyList<TraceRecord>> Run(Func<Task> example)
    {
        var memory = new InMemoryTraceExporter();
        await using (var probe = ProbeScope.Install(memory))
        {
            await example();
            await Probe.FlushAsync(TimeSpan.FromSeconds(10));
        }
        return memory.Traces;
    }

    static async Task<string> CaptureConsole(Func<Task> body)
    {
        var previous = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try { await body(); }
        finally { Console.SetOut(previous); }
        return writer.ToString();
    }

    [Fact]
    public async Task The_first_trace_records_messages_model_tokens_and_cost()
    {
        var trace = Assert.Single(await Run(ExampleFirstTrace));
        var body = Body(trace);
        Assert.Equal("my-agent", body.GetProperty("name").GetString());
        Assert.Equal("COMPLETED", body.GetProperty("status").GetString());
        Assert.Equal("Hello", body.GetProperty("input").GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("Hi there!", body.GetProperty("output").GetProperty("messages")[0].GetProperty("content").GetString());
        var llm = body.GetProperty("spans")[0];
        Assert.Equal("LLM", llm.GetProperty("kind").GetString());
        Assert.Equal("gpt-4o", llm.GetProperty("model").GetString());
        Assert.Equal(150, llm.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(80, llm.GetProperty("token_usage").GetProperty("completion_tokens").GetInt64());
        Assert.Equal(0.002, llm.GetProperty("cost").GetProperty("total").GetDouble());
    }

    [Fact]
    public async Task Nested_spans_follow_the_using_blocks()
    {
        var t = Assert.Single(await Run(() => { ExampleNestedSpans(); return Task.CompletedTask; }));
        var agent = Named(t, "agent");
        Assert.Equal(agent.Id, Named(t, "llm-call").Parent);
        Assert.Equal(agent.Id, Named(t, "tool-call").Parent);
        var llm = Named(t, "llm-call");
        Assert.Equal(16, (llm.Tokens?["reasoning_tokens"] ?? 0));
        Assert.Equal(0.0021, (llm.Cost?.Total ?? 0));
        Assert.Equal(0.0009, (llm.Cost?.Components.Find("output").IfNone(0) ?? 0));
    }

    [Fact]
    public async Task The_delegate_form_marks_span_and_trace_ERROR_and_rethrows()
    {
        InvalidOperationException? thrown = null;
        var traces = await Run(() =>
        {
            thrown = Assert.Throws<InvalidOperationException>(ExampleDelegateForms);
            return Task.CompletedTask;
        });
        Assert.Equal("Something went wrong", thrown?.Message);
        var t = Assert.Single(traces);
        Assert.Equal(TraceStatus.Error, t.Status);
        var span = Assert.Single(t.Spans);
        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("Something went wrong", Body(t).GetProperty("spans")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_exception_filter_records_the_error_and_lets_it_propagate()
    {
        var traces = await Run(() =>
        {
            Assert.Throws<TimeoutException>(ExampleExceptionFilter);
            return Task.CompletedTask;
        });
        var span = Assert.Single(Assert.Single(traces).Spans);
        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("the model timed out", (span.Error?.Message ?? ""));
        Assert.Equal(typeof(TimeoutException).FullName, span.Error?.Type ?? "");
    }

    [Fact]
    public async Task The_async_delegate_forms_return_the_value_and_record_it()
    {
        string? answer = null;
        var t = Assert.Single(await Run(async () => answer = await ExampleAsyncDelegateForms()));
        Assert.Equal("Hi there!", answer);
        var span = Assert.Single(t.Spans);
        Assert.Equal(SpanStatus.Ok, span.Status);
        Assert.Equal(Payload.Text("Hi there!"), (span.Output ?? Payload.Null));
    }

    [Fact]
    public async Task Session_and_user_scopes_apply_and_explicit_arguments_win()
    {
        var traces = await Run(() => { ExampleSessions(); return Task.CompletedTask; });
        Assert.Null(Probe.CurrentSessionId);
        Assert.Null(Probe.CurrentUserId);
        var byName = traces.ToDictionary(t => t.Name);
        Assert.Equal("conversation-42", byName["chat-turn"].SessionId);
        Assert.Equal("user-ada", byName["chat-turn"].UserId);
        Assert.Equal("conversation-42", byName["x"].SessionId);
        Assert.Equal("bob", byName["x"].UserId);
    }

    [Fact]
    public async Task The_messages_convention_trims_the_trace_input_to_the_last_user_message()
    {
        object? problems = null;
        var memory = new InMemoryTraceExporter();
        PipelineHealth health;
        await using (var probe = ProbeScope.Install(memory))
        {
            problems = ExampleMessagesConvention();
            health = (await Probe.FlushAsync(TimeSpan.FromSeconds(10))).Health;
        }
        Assert.Equal(["trace input is missing the 'messages' key."], Assert.IsAssignableFrom<IReadOnlyList<string>>(problems));
        var t = Assert.Single(memory.Traces);
        Assert.Equal("""{"messages":[{"role":"user","content":"And tomorrow?"}]}""", (t.Input ?? Payload.Null).Value);
        Assert.Equal(4, JsonNode.Parse((Named(t, "generate").Input ?? Payload.Null).Value)!["messages"]!.AsArray().Count);
        Assert.Equal(0, health.MessageFormatWarnings);
    }

    [Fact]
    public async Task A_CompletedTraces_subscriber_sees_each_trace_as_its_platform_body()
    {
        IReadOnlyList<TraceRecord> traces = [];
        var printed = await CaptureConsole(async () => traces = await Run(ExampleWatchingCompletedTraces));
        var t = Assert.Single(traces);
        var line = Assert.Single(printed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(t.ToJson(), line);
        Assert.Equal("watched", JsonDocument.Parse(line).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task FlushAsync_reports_what_was_exported()
    {
        FlushResult? result = null;
        var printed = await CaptureConsole(async () => await Run(async () => result = await ExampleFlush()));
        Assert.NotNull(result);
        Assert.True(result.Completed);
        Assert.Equal(1, result.Health.Exported);
        Assert.Equal(0, result.Dropped);
        Assert.Equal(0, result.Pending);
        Assert.Equal("exported 1, dropped 0, pending 0", printed.Trim());
    }

    [Fact]
    public async Task An_own_client_with_an_in_memory_exporter_holds_the_trace_after_FlushAsync()
    {
        var memory = await ExampleOwnClient();
        var t = Assert.Single(memory.Traces);
        Assert.Equal("job", t.Name);
        Assert.Equal("step", Assert.Single(t.Spans).Name);
        Assert.True(memory.IsShutdown); // await using shut the client down
    }

    [Fact]
    public async Task Creating_spans_records_kinds_model_parameters_and_usage()
    {
        var t = Assert.Single(await Run(() => { ExampleCreatingSpans(); return Task.CompletedTask; }));
        var body = Body(t);
        var spans = body.GetProperty("spans").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("RETRIEVER", spans["retrieve"].GetProperty("kind").GetString());
        Assert.Equal("doc-2", spans["retrieve"].GetProperty("output").GetProperty("documents")[1].GetString());
        var generate = spans["generate"];
        Assert.Equal("LLM", generate.GetProperty("kind").GetString());
        Assert.Equal("gpt-5.4", generate.GetProperty("model").GetString());
        Assert.Equal(0.7, generate.GetProperty("model_parameters").GetProperty("temperature").GetDouble());
        Assert.Equal(1000, generate.GetProperty("model_parameters").GetProperty("max_tokens").GetInt32());
        Assert.Equal(80, generate.GetProperty("token_usage").GetProperty("completion_tokens").GetInt64());
        Assert.False(generate.TryGetProperty("parent_span_id", out _));
    }

    [Fact]
    public async Task Await_using_ends_trace_and_span()
    {
        var t = Assert.Single(await Run(ExampleAwaitUsing));
        var span = Assert.Single(t.Spans);
        Assert.Equal(SpanStatus.Ok, span.Status);
        Assert.Equal(Payload.Text("Hi there!"), (span.Output ?? Payload.Null));
        Assert.Equal(TraceStatus.Completed, t.Status);
    }

    [Fact]
    public async Task Sending_to_PandaProbe_records_the_trace_and_its_score()
    {
        var memory = new InMemoryTraceExporter();
        await using (ProbeScope.Install(memory))
        {
            await ExampleSendingToPandaProbe("Is it sunny?", "Yes.");
            await Probe.FlushAsync(TimeSpan.FromSeconds(10));
        }
        var t = Assert.Single(memory.Traces);
        Assert.Equal(Payload.Text("Is it sunny?"), (t.Input ?? Payload.Null));
        var score = Assert.Single(memory.Scores);
        Assert.Equal(t.Id, score.Trace);
        Assert.Equal("true", score.Value);
        Assert.Equal(ScoreDataType.Boolean, score.DataType);
        _ = (Action)ExampleInitInCode;
    }

    [Fact]
    public async Task The_live_activity_example_makes_the_span_current_and_propagation_continues_the_trace()
    {
        var seen = new List<System.Diagnostics.Activity>();
        Guid producerId = default, consumerId = default;
        var traces = await Run(() =>
        {
            ExampleLiveActivities(seen);
            using var producer = Probe.StartTrace("order-service");
            using var span = producer.Span("enqueue", SpanType.Tool);
            producerId = producer.TraceId;
            consumerId = ExamplePropagation(span);
            return Task.CompletedTask;
        });
        var live = Assert.Single(seen);
        Assert.Equal("generate", live.DisplayName);
        Assert.Equal(Probe.ActivitySourceName, live.Source.Name);
        Assert.Equal(producerId, consumerId);
        var consumer = traces.Single(t => t.Name == "process-order");
        Assert.Equal(traces.Single(t => t.Name == "order-service").Spans.Single().Id, consumer.ContinuationParent);
    }

    [Fact]
    public async Task The_OpenTelemetry_registration_builds_and_shuts_down_cleanly()
    {
        var cwd = Environment.CurrentDirectory;
        var dir = Directory.CreateTempSubdirectory("pandaprobe-readme-");
        try
        {
            Environment.CurrentDirectory = dir.FullName;
            await ExampleOpenTelemetry();
            Assert.False(File.Exists(Path.Combine(dir.FullName, "traces.jsonl")));   // nothing was traced, nothing written
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Redaction_masks_patterns_key_names_and_applies_the_custom_function_last()
    {
        var t = Assert.Single((await ExampleRedaction()).Traces);
        var body = Body(t);
        Assert.Equal("Refund [REDACTED] for [REDACTED:email], card [REDACTED:card]", body.GetProperty("input").GetString());
        Assert.Equal("[REDACTED]", body.GetProperty("metadata").GetProperty("customer_ref").GetString());
        Assert.Equal("[codename]", body.GetProperty("metadata").GetProperty("plan").GetString());
        Assert.Equal("support", body.GetProperty("name").GetString());   // names are never changed
    }

    [Fact]
    public async Task Sampling_keeps_every_failed_trace_and_about_the_ratio_of_the_rest()
    {
        var memory = new InMemoryTraceExporter();
        var options = ExampleSampling();
        options.Exporters.Add(memory);
        await using var client = new PandaProbeClient(options);
        for (var i = 0; i < 20; i++)
            using (var t = client.StartTrace("failed")) t.SetError("boom");
        for (var i = 0; i < 400; i++)
            using (client.StartTrace("fine")) { }
        var flushed = await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(20, memory.Traces.Count(t => t.Name == "failed"));
        var fine = memory.Traces.Count(t => t.Name == "fine");
        Assert.InRange(fine, 10, 90);                                    // 40 expected; the ratio decides by random trace ids
        Assert.Equal(400 - fine, flushed.Health.SampledOut);
        Assert.Equal(0, flushed.Health.Dropped);
    }

    [Fact]
    public async Task Flush_on_dispose_exports_the_trace_before_DisposeAsync_returns()
    {
        var memory = new InMemoryTraceExporter();
        await using (var configured = ExampleFlushOnDisposeClient())
            Assert.NotNull(configured.FlushOnDispose);                   // the README's client asks for the flush

        await using var client = new PandaProbeClient(new PandaProbeOptions { FlushOnDispose = true, Exporters = { memory } });
        await ExampleFlushOnDisposeHandler(client);
        var t = Assert.Single(memory.Traces);                            // no FlushAsync: the dispose waited for it
        Assert.Equal("work", Assert.Single(t.Spans).Name);
        Assert.False(memory.IsShutdown);
    }
}
