using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PandaProbe.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;

namespace PandaProbe.Benchmarks;

/// <summary>
/// <c>--only agent-loop</c>: what tracing a Microsoft.Extensions.AI tool loop costs the process. One unit is one
/// request through a real <see cref="FunctionInvokingChatClient"/> over an in-process scripted model (a tool call, the
/// tool, the final answer: two model calls and one function call), traced four ways in the same run:
/// <list type="bullet">
/// <item><b>none</b>: no tracing (the baseline subtracted from the others);</item>
/// <item><b>PandaProbe middleware</b>: <c>UsePandaProbe().UseFunctionInvocation().UsePandaProbe()</c>, one trace of
/// three spans per request, exported to a counting exporter;</item>
/// <item><b>OpenTelemetry</b>: <c>UseFunctionInvocation().UseOpenTelemetry()</c> listened to by an OpenTelemetry
/// TracerProvider with a batch processor and a counting exporter (four activities per request);</item>
/// <item><b>OpenTelemetry with content</b>: the same with <c>EnableSensitiveData</c>, so that messages, arguments and
/// results are recorded as PandaProbe records them by default;</item>
/// <item><b>PandaProbe ingestion</b>: the OpenTelemetry-instrumented pipeline (with content), its activities recorded
/// by <c>IngestGenAiActivities()</c> instead (one trace of four spans per request).</item>
/// </list>
/// Each is run at saturation (back to back on one thread) and sporadically (one request every 2 ms, the caller sleeping
/// in between). Reported per request: whole-process CPU after the background work drained, minus the baseline's;
/// the caller's time; the caller thread's allocated bytes; and what was exported (a figure with drops is no speed).
/// </summary>
public static class AgentLoopProbe
{
    const string SourceName = "PandaProbe.Benchmarks.AgentLoop";

    /// <summary>A model that asks for the weather once, then answers, with realistic usage and ids.</summary>
    sealed class ScriptedModel : IChatClient
    {
        static readonly UsageDetails Usage = new() { InputTokenCount = 412, OutputTokenCount = 38, TotalTokenCount = 450 };

        System.Threading.Tasks.Task<Microsoft.Extensions.AI.ChatResponse> IChatClient.GetResponseAsync(System.Collections.Generic.IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options,
            System.Threading.CancellationToken cancellationToken)
        {
            var last = messages.Last();
            var message = last.Role == ChatRole.Tool
                ? new AiMessage(ChatRole.Assistant, "It is sunny in Oslo today, 21 °C with a light breeze from the west.")
                : new AiMessage(ChatRole.Assistant,
                    [new FunctionCallContent("call_7Hq2", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]);
            return Task.FromResult(new ChatResponse(message)
            {
                ModelId = "gpt-4o-mini-2024-07-18",
                ResponseId = "chatcmpl-bench",
                FinishReason = last.Role == ChatRole.Tool ? ChatFinishReason.Stop : ChatFinishReason.ToolCalls,
                Usage = Usage,
            });
        }

        IAsyncEnumerable<ChatResponseUpdate> IChatClient.GetStreamingResponseAsync(
            System.Collections.Generic.IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
            Microsoft.Extensions.AI.ChatOptions? options, System.Threading.CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    static readonly ChatOptions Options = new()
    {
        ModelId = "gpt-4o-mini",
        Temperature = 0.2f,
        Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}, 21 °C", "get_weather", "Gets the current weather in a city")],
    };

    static readonly AiMessage[] Conversation =
    [
        new(ChatRole.System, "You are a concise travel assistant. Use tools for live data."),
        new(ChatRole.User, "What's the weather like in Oslo right now? I'm deciding whether to bring a jacket."),
    ];

    /// <summary>One way of tracing: the pipeline, how to drain its background work, and what it exported so far.</summary>
    sealed record Side(string Name, IChatClient Chat, Action Drain, Func<long> Exported, int PerRequest, IDisposable Owner);

    static Side None() => new("none", new ChatClientBuilder(new ScriptedModel()).UseFunctionInvocation().Build(),
        () => { }, () => 0, 0, new Nothing());

    static Side Middleware()
    {
        var peer = new PandaPeer(maxQueueSize: 65_536);   // as OpenTelemetry's processor below
        var chat = new ChatClientBuilder(new ScriptedModel())
            .UsePandaProbe(peer.Client).UseFunctionInvocation().UsePandaProbe(peer.Client).Build();
        return new("PandaProbe middleware", chat, peer.Flush, () => ((CountingTraceExporter)peer.Exporter).Spans, 3, peer);
    }

    static Side OpenTelemetry() => OpenTelemetry(sensitive: false);

    static Side OpenTelemetryWithContent() => OpenTelemetry(sensitive: true);

    static Side OpenTelemetry(bool sensitive)
    {
        var exporter = new CountingActivityExporter();
        var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(SourceName)
            .AddProcessor(new BatchActivityExportProcessor(exporter, maxQueueSize: 65_536, scheduledDelayMilliseconds: 5000,
                exporterTimeoutMilliseconds: 30000, maxExportBatchSize: 512))
            .Build()!;
        var chat = new ChatClientBuilder(new ScriptedModel()).UseFunctionInvocation()
            .UseOpenTelemetry(sourceName: SourceName, configure: o => o.EnableSensitiveData = sensitive).Build();
        return new(sensitive ? "OpenTelemetry, EnableSensitiveData (messages recorded)" : "OpenTelemetry (UseOpenTelemetry)", chat, () =>
        {
            var until = Stopwatch.StartNew();
            while (!provider.ForceFlush(200) && until.Elapsed < TimeSpan.FromMinutes(2)) { }
        }, () => exporter.Exported, 4, provider);
    }

    static Side Ingestion()
    {
        var peer = new PandaPeer(maxQueueSize: 65_536);   // as OpenTelemetry's processor below
        var ingestion = peer.Client.IngestGenAiActivities(SourceName);
        var chat = new ChatClientBuilder(new ScriptedModel()).UseFunctionInvocation()
            .UseOpenTelemetry(sourceName: SourceName, configure: o => o.EnableSensitiveData = true).Build();
        return new("PandaProbe ingestion of UseOpenTelemetry (EnableSensitiveData)", chat, peer.Flush, () => ((CountingTraceExporter)peer.Exporter).Spans, 4,
            new Both(ingestion, peer));
    }

    sealed class Nothing : IDisposable { public void Dispose() { } }

    sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }

    static void Request(IChatClient chat)
    {
        var response = chat.GetResponseAsync(Conversation, Options).GetAwaiter().GetResult();
        if (response.Messages.Count == 0) throw new InvalidOperationException("no answer");
    }

    /// <summary>One measured phase: requests, caller time, whole-process CPU (after draining), caller bytes, exported.</summary>
    readonly record struct Phase(long Requests, TimeSpan Caller, TimeSpan Cpu, long Bytes, long Exported);

    static Phase Measure(Side side, int requests, TimeSpan? every)
    {
        // Warm-up: 3 s of requests, so that tiered compilation has optimised both sides' code (200 requests left most of
        // it at tier 0 or instrumented, which inflated the figures of the side with more code on the path).
        var warm = Stopwatch.StartNew();
        for (var i = 0; warm.Elapsed < TimeSpan.FromSeconds(3); i++)
        {
            Request(side.Chat);
            if (i % 500 == 499) side.Drain();
        }
        side.Drain();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Thread.Sleep(100);
        var exportedBefore = side.Exported();
        var caller = new Stopwatch();
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var cpu = ProcessCpu.Now();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            if (every is { } interval)
            {
                var due = interval * i;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            }
            caller.Start();
            Request(side.Chat);
            caller.Stop();
        }
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        side.Drain();
        var used = ProcessCpu.Now() - cpu;
        return new Phase(requests, caller.Elapsed, used, bytes, side.Exported() - exportedBefore);
    }

    /// <summary><c>--only agent-loop-middleware</c>: the middleware side alone at saturation, for a profiler.</summary>
    /// <summary>One middleware request (for <see cref="AllocationTypes"/>); drains every 500 requests.</summary>
    public static Action MiddlewareUnit() => Unit(Middleware());

    /// <summary>One request through OpenTelemetry's middleware with ingestion (for <see cref="AllocationTypes"/>).</summary>
    public static Action IngestionUnit() => Unit(Ingestion());

    static Action Unit(Side side)
    {
        var n = 0;
        return () =>
        {
            Request(side.Chat);
            if (++n % 500 == 0) side.Drain();
        };
    }

    public static void RunMiddlewareOnly()
    {
        var side = Middleware();
        using (side.Owner)
        {
            var phase = Measure(side, 100_000, null);
            Console.WriteLine($"{phase.Caller.TotalMicroseconds / phase.Requests:N1} µs caller per request, {phase.Exported} spans exported");
        }
    }

    public static void Run()
    {
        var scenarios = new (string Name, int Requests, TimeSpan? Every)[]
        {
            ("saturation, back to back", 20_000, null),
            ("sporadic, one request every 2 ms", 1_000, TimeSpan.FromMilliseconds(2)),
        };
        Console.WriteLine($"// CPU: {ProcessCpu.Source}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        foreach (var (name, requests, every) in scenarios)
        {
            Console.WriteLine();
            Console.WriteLine($"{name} ({requests:N0} requests; one request = 2 model calls + 1 tool call)");
            Console.WriteLine("| tracing | CPU µs/request (minus none) | caller µs/request | caller bytes/request | exported / expected |");
            Console.WriteLine("| --- | ---: | ---: | ---: | --- |");
            double baseline = 0;
            foreach (var make in new Func<Side>[] { None, Middleware, OpenTelemetry, OpenTelemetryWithContent, Ingestion })
            {
                var side = make();
                using (side.Owner)
                {
                    var phase = Measure(side, requests, every);
                    var cpu = phase.Cpu.TotalMicroseconds / phase.Requests;
                    if (side.PerRequest == 0) baseline = cpu;
                    var expected = (long)side.PerRequest * phase.Requests;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {side.Name} | {(side.PerRequest == 0 ? cpu : cpu - baseline):N1}{(side.PerRequest == 0 ? " (absolute)" : "")} | {phase.Caller.TotalMicroseconds / phase.Requests:N1} | {phase.Bytes / phase.Requests:N0} | {(side.PerRequest == 0 ? "—" : $"{phase.Exported:N0} / {expected:N0}")} |"));
                }
            }
        }
    }
}
