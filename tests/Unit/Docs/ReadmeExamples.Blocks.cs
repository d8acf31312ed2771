using OpenTelemetry;
using OpenTelemetry.Trace;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Pipeline;

namespace PandaProbe.Unit.Docs;

/// <summary>
/// The README's code blocks, one method each, exactly as the README shows them. This file is also compiled by
/// tests/ReadmeBlocks, a project that sees only the packages' public API (no InternalsVisibleTo): a block that calls
/// something users cannot call fails the build there.
/// </summary>
public partial class ReadmeExamples
{
    // ---- the examples -------------------------------------------------------------------------------------------

    static async Task ExampleFirstTrace()
    {
        using (var trace = Probe.StartTrace("my-agent", input: new { messages = new[] { new { role = "user", content = "Hello" } } }))
        {
            using (var llm = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
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
        using (var agent = t.Span("agent", SpanType.Agent))
        {
            using (var llm = t.Span("llm-call", SpanType.Llm))
            {
                llm.SetModel("gpt-5.4");
                llm.SetTokenUsage(promptTokens: 120, completionTokens: 40,
                    extra: new Dictionary<string, long> { ["reasoning_tokens"] = 16 });
                llm.SetCost(0.0021, new Dictionary<string, double> { ["input"] = 0.0012, ["output"] = 0.0009 });
            }
            using (var tool = t.Span("tool-call", SpanType.Tool)) { tool.SetOutput(new { temperature = 21 }); }
        }   // llm-call and tool-call are children of agent
    }

    static void ExampleDelegateForms()
    {
        Probe.Trace("risky-operation", t =>
        {
            t.Span("might-fail", SpanType.Llm, s =>
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
        using (var s = t.Span("might-fail", SpanType.Llm))
        {
            try { CallTheModel(); }
            catch (Exception e) when (s.Fail(e)) { }     // never entered: the exception keeps propagating
        }
    }

    static Task<string> CallTheModelAsync() => Task.FromResult("Hi there!");

    static async Task<string> ExampleAsyncDelegateForms()
    {
        var answer = await Probe.TraceAsync("async-agent", async t =>
            await t.SpanAsync("llm-call", SpanType.Llm, async s =>
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
        using var t = Probe.StartTrace("chat-turn", input: Probe.Messages.ExtractLastUserMessage(conversation));
        using (var llm = t.Span("generate", SpanType.Llm))
        {
            llm.SetInput(conversation);                                     // the LLM span keeps the full prompt
            llm.SetOutput(new { messages = new[] { new { role = "assistant", content = "Cloudy, 19°C." } } });
        }
        var problems = Probe.Messages.Validate(new { prompt = "hi" }, "trace input");  // ["trace input is missing the 'messages' key."]
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
            using (var s = t.Span("retrieve", SpanType.Retriever))
            {
                s.SetInput(new { query = "What is PandaProbe?" });
                s.SetOutput(new { documents = new[] { "doc-1", "doc-2" } });
            }

            using (var s = t.Span("generate", SpanType.Parse("LLM")))   // a kind known by its platform name
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
        await using (var s = t.Span("llm-call", SpanType.Llm))
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
            trace.Span("answer", SpanType.Llm, span => span.SetOutput(answer));
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
        using (var llm = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
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

}
