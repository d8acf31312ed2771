using SpanKind = PandaProbe.Model.SpanKind;
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
public class ReadmeExamples
{
    // ---- the examples -------------------------------------------------------------------------------------------

    static async Task ExampleFirstTrace()
    {
        using (var trace = Probe.StartTrace("my-agent", input: new { messages = new[] { new { role = "user", content = "Hello" } } }))
        {
            using (var llm = trace.Span("generate", SpanKind.Llm, model: "gpt-4o"))
            {
                llm.SetTokenUsage(promptTokens: 150, completionTokens: 80);
                llm.SetCost(0.002);
            }
            trace.SetOutput(new { messages = new[] { new { role = "assistant", content = "Hi there!" } } });
        }
        await Probe.FlushAsync();
    }

    static void ExampleNestedSpans()
    {
        using (var t = Probe.StartTrace("pipeline"))
        using (var agent = t.Span("agent", SpanKind.Agent))
        {
            using (var llm = t.Span("llm-call", SpanKind.Llm))
            {
                llm.SetModel("gpt-5.4");
                llm.SetTokenUsage(promptTokens: 120, completionTokens: 40,
                    extra: new Dictionary<string, long> { ["reasoning_tokens"] = 16 });
                llm.SetCost(0.0021, new Dictionary<string, double> { ["input"] = 0.0012, ["output"] = 0.0009 });
            }
            using (var tool = t.Span("tool-call", SpanKind.Tool)) { tool.SetOutput(new { temperature = 21 }); }
        }   // llm-call and tool-call are children of agent
    }

    static void ExampleDelegateForms()
    {
        Probe.Trace("risky-operation", t =>
        {
            t.Span("might-fail", SpanKind.Llm, s =>
            {
                s.SetModel("gpt-5.4");
                throw new InvalidOperationException("Something went wrong");   // span: ERROR, error = "Something went wrong"
            });
        });                                                                      // trace: ERROR
    }

    static void CallTheModel() => throw new TimeoutException("the model timed out");

    static void ExampleExceptionFilter()
    {
        using (var t = Probe.StartTrace("risky-operation"))
        using (var s = t.Span("might-fail", SpanKind.Llm))
        {
            try { CallTheModel(); }
            catch (Exception e) when (s.Fail(e)) { }     // never entered: the exception keeps propagating
        }
    }

    static Task<string> CallTheModelAsync() => Task.FromResult("Hi there!");

    static async Task<string> ExampleAsyncDelegateForms()
    {
        var answer = await Probe.TraceAsync("async-agent", async t =>
            await t.SpanAsync("llm-call", SpanKind.Llm, async s =>
            {
                s.SetModel("gpt-5.4");
                var text = await CallTheModelAsync();
                s.SetOutput(text);
                return text;
            }));
        return answer;
    }

    static void ExampleSessions()
    {
        using (Probe.Session("conversation-42"))
        using (Probe.User("user-ada"))
        {
            using var t = Probe.StartTrace("chat-turn");            // session_id and user_id come from the scopes
            using var other = Probe.StartTrace("x", userId: "bob"); // an explicit argument wins
        }                                                           // the previous values are restored here
    }

    static object? ExampleMessagesConvention()
    {
        var conversation = new
        {
            messages = new[]
            {
                new { role = "system", content = "You are a travel agent." },
                new { role = "user", content = "Weather in Lisbon?" },
                new { role = "assistant", content = "Sunny, 24°C." },
                new { role = "user", content = "And tomorrow?" },
            },
        };
        using var t = Probe.StartTrace("chat-turn", input: MessagesFormat.ExtractLastUserMessage(conversation));
        using (var llm = t.Span("generate", SpanKind.Llm))
        {
            llm.SetInput(conversation);                                     // the LLM span keeps the full prompt
            llm.SetOutput(new { messages = new[] { new { role = "assistant", content = "Cloudy, 19°C." } } });
        }
        var problems = MessagesFormat.Validate(new { prompt = "hi" }, "trace input");  // ["trace input is missing the 'messages' key."]
        return problems;
    }

    static async Task ExampleWatchingCompletedTraces()
    {
        using var sub = Probe.CompletedTraces.Subscribe(trace => Console.WriteLine(trace.ToJson()));  // the platform body
        using (var t = Probe.StartTrace("watched")) { using var s = t.Span("step"); }
        await Probe.ShutdownAsync();   // drains the exporters and every subscriber
    }

    static async Task<FlushResult> ExampleFlush()
    {
        using (Probe.StartTrace("job")) { }
        var result = await Probe.FlushAsync(TimeSpan.FromSeconds(5));
        Console.WriteLine($"exported {result.Exported}, dropped {result.Dropped}, pending {result.Pending}");
        return result;
    }

    static async Task<InMemoryTraceExporter> ExampleOwnClient()
    {
        var memory = new InMemoryTraceExporter();
        await using var client = new PandaProbeClient(new PandaProbeOptions { Exporters = { memory } });
        using (var t = client.StartTrace("job")) { using var s = t.Span("step"); }
        await client.FlushAsync();
        // memory.Traces now holds the completed trace
        return memory;
    }

    static void ExampleCreatingSpans()
    {
        using (var t = Probe.StartTrace("rag-pipeline"))
        {
            using (var s = t.Span("retrieve", SpanKind.Retriever))
            {
                s.SetInput(new { query = "What is PandaProbe?" });
                s.SetOutput(new { documents = new[] { "doc-1", "doc-2" } });
            }

            using (var s = t.Span("generate", SpanKind.Parse("LLM")))   // a kind known by its platform name
            {
                s.SetInput(new { messages = new[] { new { role = "user", content = "What is PandaProbe?" } } });
                s.SetModel("gpt-5.4");
                s.SetModelParameters(new Dictionary<string, object?> { ["temperature"] = 0.7, ["max_tokens"] = 1000 });
                s.SetOutput(new { messages = new[] { new { role = "assistant", content = "A tracing platform." } } });
                s.SetTokenUsage(promptTokens: 150, completionTokens: 80);
                s.SetCost(0.002);
            }
        }
    }

    static async Task ExampleAwaitUsing()
    {
        await using (var t = Probe.StartTrace("async-agent"))
        await using (var s = t.Span("llm-call", SpanKind.Llm))
        {
            s.SetModel("gpt-5.4");
            s.SetOutput(await CallTheModelAsync());
        }
    }

    static async Task ExampleSendingToPandaProbe(string question, string answer)
    {
        // From the environment: PANDAPROBE_API_KEY, PANDAPROBE_PROJECT_NAME (and optionally the rest below)
        using (var trace = Probe.StartTrace("chat-turn", input: question))
        {
            trace.Span("answer", SpanKind.Llm, span => span.SetOutput(answer));
            trace.Score("helpful", true, reason: "user clicked thumbs up");
        }
        await Probe.FlushAsync();
    }

    // Compiled, never run: it would configure a real platform client.
    static void ExampleInitInCode()
    {
        // Or in code: an option given here wins over the environment variable, which wins over the default.
        Probe.Init(new PandaProbeOptions { ApiKey = "sk_pp_…", ProjectName = "support-bot", Environment = "production" });
        Probe.OnError(e => Console.Error.WriteLine($"PandaProbe delivery failed: {e.Message}"));
    }

    static void ExampleLiveActivities(List<System.Diagnostics.Activity> seen)
    {
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(Probe.ActivitySourceName)   // "PandaProbe": live activities
            // .AddAspNetCoreInstrumentation().AddHttpClientInstrumentation()   // requests and HTTP calls, linked
            // .AddOtlpExporter()                  // or any other exporter of your choice
            .Build();

        using var trace = Probe.StartTrace("support-agent");
        using (var llm = trace.Span("generate", SpanKind.Llm, model: "gpt-4o"))
        {
            // Activity.Current is the span's activity: this call's traceparent names the span as its parent.
            // A PandaProbe trace started by the service it calls continues this trace (below).
            seen.Add(System.Diagnostics.Activity.Current!);
        }
    }

    static Guid ExamplePropagation(SpanContext span)
    {
        // Producer, inside a span: the headers travel with the message.
        var headers = new Dictionary<string, string?>
        {
            ["traceparent"] = span.TraceParent,
            ["tracestate"] = span.TraceState,
        };

        // Consumer, in another process: the trace continues the producer's, under the producer's span.
        System.Diagnostics.ActivityContext.TryParse(headers["traceparent"], headers["tracestate"], out var context);
        using var work = Probe.StartTrace("process-order", parentContext: context);
        return work.TraceId;
    }

    static async Task ExampleOpenTelemetry()
    {
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(ActivityTraceExporter.SourceName)   // "PandaProbe.Replay"
            .Build();

        await using var client = new PandaProbeClient(new PandaProbeOptions
        {
            // Exporters replace the default destination: list every one you want.
            Exporters = { new ActivityTraceExporter(maxPayloadLength: 4096), new FileTraceExporter("traces.jsonl") },
        });
    }

    static async Task<InMemoryTraceExporter> ExampleRedaction()
    {
        var memory = new InMemoryTraceExporter();               // the platform, a file or OpenTelemetry get the same
        var options = new PandaProbeOptions { ContentMode = ContentMode.Redacted, Exporters = { memory } };   // or PANDAPROBE_CONTENT_MODE=redacted
        options.Redaction.KeyNames.Add("customer_ref");                                    // more sensitive keys
        options.Redaction.Patterns.Add(new Regex(@"EMP-[0-9]{6}"));                        // your own shapes
        options.Redaction.Custom = text => text.Replace("Project Falcon", "[codename]");   // the last word on every text
        await using var client = new PandaProbeClient(options);

        using (var trace = client.StartTrace("support", input: "Refund EMP-004211 for ana@example.com, card 4111 1111 1111 1111"))
        {
            trace.SetMetadata(new Dictionary<string, object?> { ["customer_ref"] = "C-881", ["plan"] = "Project Falcon" });
        }
        await client.FlushAsync();
        // input: "Refund [REDACTED] for [REDACTED:email], card [REDACTED:card]"; customer_ref: "[REDACTED]"; plan: "[codename]"
        return memory;
    }

    static PandaProbeOptions ExampleSampling()
    {
        var options = new PandaProbeOptions();
        options.Sampling.Ratio = 0.1;                                 // keep one trace in ten (or PANDAPROBE_SAMPLE_RATE=0.1)
        options.Sampling.KeepErrors = true;                           // … and every trace that failed (the default)
        options.Sampling.KeepSlowerThan = TimeSpan.FromSeconds(10);   // … and every slow one
        options.Sampling.KeepCostlierThan = 0.50;                     // … and every one whose spans cost 50 cents or more
        return options;
    }

    // The two blocks of "Flushing a trace before returning": the client built once, then the handler's trace.
    static PandaProbeClient ExampleFlushOnDisposeClient()
    {
        var client = new PandaProbeClient(new PandaProbeOptions { FlushOnDispose = true });   // once, when the function starts
        return client;
    }

    static async Task ExampleFlushOnDisposeHandler(PandaProbeClient client)
    {
        // in the function's handler:
        await using (var trace = client.StartTrace("handle-request"))
        {
            using var span = trace.Span("work");
        }   // DisposeAsync returns once the trace has been exported (at most FlushOnDisposeTimeout, 5 s by default)
    }

    // ---- the tests ----------------------------------------------------------------------------------------------

    static Span Named(Trace t, string name) => t.Spans.Single(s => s.Name == name);

    static JsonElement Body(Trace t) => JsonDocument.Parse(t.ToJson()).RootElement.Clone();

    static async Task<IReadOnlyList<Trace>> Run(Func<Task> example)
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
        IReadOnlyList<Trace> traces = [];
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
            using var span = producer.Span("enqueue", SpanKind.Tool);
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
