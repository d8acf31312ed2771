using System.Diagnostics;
using System.Reactive.Concurrency;
using PandaProbe.Model;
using PandaProbe.Pipeline;

namespace PandaProbe.Benchmarks;

/// <summary>
/// A diagnostic (<c>--only parts</c>): the cost of each side of PandaProbe's pipeline on its own, per trace with one LLM
/// span. <i>Caller</i>: the facade and the fold, with the export side never woken (a virtual clock) and a queue so
/// small that items leave it at once. <i>Export side</i>: enrichment, the messages check and a no-op export of
/// completed traces already made, in batches of the default size.
/// </summary>
public static class PartsProbe
{
    const int N = 200_000;

    public static void Run()
    {
        for (var round = 0; round < 3; round++)
        {
            Caller();
            ExportSide();
        }
    }

    /// <summary>
    /// A client whose export side never wakes (a virtual clock nobody advances) and whose queue is so small that items
    /// leave it at once: what it costs is the calling thread's share alone.
    /// </summary>
    internal static PandaProbeClient CallerOnlyClient() => new(new PandaProbeOptions
    {
        Enabled = true, Exporters = { new CountingTraceExporter() }, MaxQueueSize = 16, RegisterProcessExitHandler = false,
        EnvironmentVariables = new Dictionary<string, string?>(), Scheduler = new HistoricalScheduler(),
    });

    static void Caller()
    {
        using var client = PartsProbe.CallerOnlyClient();
        for (var i = 0; i < 20_000; i++) Work.PandaLlmSpan(client);
        var gc = GC.CollectionCount(0);
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < N; i++) Work.PandaLlmSpan(client);
        sw.Stop();
        Console.WriteLine($"caller: {sw.Elapsed.TotalNanoseconds / N:N0} ns, {(GC.GetAllocatedBytesForCurrentThread() - bytes) / N:N0} B per trace, {GC.CollectionCount(0) - gc} gen0 GCs");
    }

    /// <summary>The export side alone: completed LLM traces (made once) enriched, checked and exported in batches of 10.</summary>
    static void ExportSide()
    {
        using var client = CallerOnlyClient();
        var items = new Output[20_000];
        for (var i = 0; i < items.Length; i++)
        {
            using var trace = client.StartTrace("chat");
            using (var span = trace.Span("completion", SpanType.Llm, model: Work.Model))
            {
                span.SetInput(Work.Input);
                span.SetOutput(Work.Output);
                span.SetTokenUsage(Work.PromptTokens, Work.CompletionTokens);
                span.SetCost(Work.Cost);
            }
            trace.End();
            items[i] = new Output.TraceCompleted(trace.Cell!.Completed!);
        }
        var counters = new PipelineCounters();
        var exporter = new CountingTraceExporter();
        var prepare = new Preparation(new Model.Enrichment.Enricher(Model.Pricing.PriceCatalog.Default, null, null), Redaction.Redactor.Off,
            Model.Sampling.SamplingPolicy.KeepAll, counters, new IsolatedSubject<TraceRecord>("CompletedTraces", 16, counters),
            new IsolatedSubject<Output>("Outputs", 16, counters), TimeProvider.System);
        var sw = Stopwatch.StartNew();
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        for (var r = 0; r < N / items.Length; r++)
            for (var i = 0; i < items.Length; i += 10)
                ExportOne(prepare, exporter, items[i..(i + 10)]);
        sw.Stop();
        Console.WriteLine($"export side: {sw.Elapsed.TotalNanoseconds / N:N0} ns, {(GC.GetAllocatedBytesForCurrentThread() - bytes) / N:N0} B per trace");
    }

    /// <summary>One batch through the export side's work, on this thread: prepared, then exported and settled.</summary>
    internal static void ExportOne(Preparation prepare, PandaProbe.Exporters.ITraceExporter exporter, Output[] batch)
    {
        if (prepare.Deliver(new Drained(batch, null), lanes: 1) is not { Batch: { } ready } delivery) return;
        var result = exporter.ExportAsync(ready, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        delivery.Settle(LaneOutcome.Of(result, ready.Count));
    }
}

/// <summary>Bytes and time of each facade call of the LLM unit (<c>--only steps</c>).</summary>
public static class StepsProbe
{
    public static void Run()
    {
        using var client = PartsProbe.CallerOnlyClient();
        var names = new[] { "StartTrace", "Span", "SetInput", "SetOutput", "SetModel", "SetTokenUsage", "SetCost", "span.End", "trace.End" };
        var bytes = new long[names.Length];
        var ticks = new long[names.Length];
        const int N = 100_000;
        for (var round = 0; round < 2; round++)
        {
            System.Array.Clear(bytes);
            System.Array.Clear(ticks);
            for (var i = 0; i < N; i++)
            {
                var k = 0;
                long b = GC.GetAllocatedBytesForCurrentThread(), t = Stopwatch.GetTimestamp();
                void Mark(ref int k)
                {
                    long b2 = GC.GetAllocatedBytesForCurrentThread(), t2 = Stopwatch.GetTimestamp();
                    bytes[k] += b2 - b; ticks[k] += t2 - t; k++;
                    b = GC.GetAllocatedBytesForCurrentThread(); t = Stopwatch.GetTimestamp();
                }
                var trace = client.StartTrace("chat"); Mark(ref k);
                var span = trace.Span("completion", SpanType.Llm, model: Work.Model); Mark(ref k);
                span.SetInput(Work.Input); Mark(ref k);
                span.SetOutput(Work.Output); Mark(ref k);
                span.SetModel(Work.Model); Mark(ref k);
                span.SetTokenUsage(Work.PromptTokens, Work.CompletionTokens); Mark(ref k);
                span.SetCost(Work.Cost); Mark(ref k);
                span.End(); Mark(ref k);
                trace.End(); Mark(ref k);
            }
        }
        for (var k = 0; k < names.Length; k++)
            Console.WriteLine($"{names[k],-14} {bytes[k] / N,6:N0} B {ticks[k] * 1e9 / Stopwatch.Frequency / N,8:N0} ns");
    }
}

/// <summary>Capture of the LLM unit's input against a plain System.Text.Json call (<c>--only capture</c>).</summary>
public static class CaptureProbe
{
    public static void Run()
    {
        var general = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.General);
        // Issue 22's budget 4: a 50-message input of about 21 KB (and a small output), captured as a setter would.
        var big = new ChatMessages(Enumerable.Range(0, 50).Select(i => new ChatMessage(i % 2 == 0 ? "user" : "assistant",
            $"Message {i}: " + string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog; ", 9)))).ToArray());
        Console.WriteLine($"input: {System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(big, general).Length:N0} bytes of JSON");
        foreach (var (name, value, n) in new (string, object, int)[] { ("4 messages", Work.Input, 200_000), ("50 messages, 21 KB", big, 20_000), ("output", Work.Output, 200_000) })
        {
            for (var round = 0; round < 3; round++)
            {
                var b0 = GC.GetAllocatedBytesForCurrentThread();
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < n; i++) System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), general);
                var plain = sw.Elapsed.TotalNanoseconds / n;
                var plainBytes = (GC.GetAllocatedBytesForCurrentThread() - b0) / n;
                b0 = GC.GetAllocatedBytesForCurrentThread();
                sw.Restart();
                for (var i = 0; i < n; i++) Serialization.PayloadCapture.TryCapture(value, out _);
                var ours = sw.Elapsed.TotalNanoseconds / n;
                var ourBytes = (GC.GetAllocatedBytesForCurrentThread() - b0) / n;
                Console.WriteLine($"{name}: SerializeToUtf8Bytes {plain:N0} ns {plainBytes:N0} B; PayloadCapture {ours:N0} ns {ourBytes:N0} B ({ours / plain:0.00}×)");
            }
        }
    }
}

/// <summary>
/// The calling thread's time for parts of the LLM unit when each call comes cold, after a 2 ms sleep, as under sporadic
/// traffic (<c>--only cold</c>): the median over 400 calls of each part, PandaProbe beside OpenTelemetry.
/// </summary>
public static class ColdProbe
{
    public static void Run()
    {
        using var panda = new PandaPeer();
        using var otel = new OtelPeer();
        var client = panda.Client;
        var source = otel.Source;
        var parts = new (string Name, Action Panda, Action Otel)[]
        {
            ("trace only", () => { using var t = client.StartTrace("chat"); }, () => { using var a = source.StartActivity("chat"); }),
            ("trace + span", () => { using var t = client.StartTrace("chat"); using var s = t.Span("completion", SpanType.Llm, model: Work.Model); },
                () => { using var a = source.StartActivity("chat"); using var b = source.StartActivity("completion"); b?.SetTag("gen_ai.request.model", Work.Model); }),
            ("+ tokens, cost", () =>
            {
                using var t = client.StartTrace("chat"); using var s = t.Span("completion", SpanType.Llm, model: Work.Model);
                s.SetTokenUsage(Work.PromptTokens, Work.CompletionTokens); s.SetCost(Work.Cost);
            }, () =>
            {
                using var a = source.StartActivity("chat"); using var b = source.StartActivity("completion");
                b?.SetTag("gen_ai.request.model", Work.Model); b?.SetTag("gen_ai.usage.input_tokens", Work.PromptTokens);
                b?.SetTag("gen_ai.usage.output_tokens", Work.CompletionTokens); b?.SetTag("gen_ai.usage.cost", Work.Cost);
            }),
            ("whole LLM unit", () => Work.PandaLlmSpan(client), () => Work.OtelLlmSpan(source)),
        };
        for (var i = 0; i < 2000; i++) { foreach (var p in parts) { p.Panda(); p.Otel(); } }
        panda.Flush();
        otel.Flush();
        foreach (var (name, p, o) in parts)
        {
            // The two sides alternate, each call after its own sleep, so both meet the same machine.
            var pt = new List<double>();
            var ot = new List<double>();
            static double Time(Action a)
            {
                Thread.Sleep(2);
                var t0 = Stopwatch.GetTimestamp();
                a();
                return (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency;
            }
            for (var i = 0; i < 600; i++)
            {
                pt.Add(Time(p));
                ot.Add(Time(o));
            }
            pt.Sort();
            ot.Sort();
            var (pm, om) = (pt[pt.Count / 2], ot[ot.Count / 2]);
            Console.WriteLine($"{name,-16} PandaProbe {pm,7:N1} µs  OpenTelemetry {om,7:N1} µs  ratio {pm / om:N2}");
        }
    }
}

/// <summary>Per span cost inside one growing trace, by size, and where the bytes go (<c>--only big</c>).</summary>
public static class BigTraceProbe
{
    public static void Run()
    {
        using var client = PartsProbe.CallerOnlyClient();
        for (var round = 0; round < 2; round++)
        {
            using var trace = client.StartTrace("big");
            var done = 0;
            foreach (var upTo in new[] { 10, 100, 1_000, 10_000, 100_000 })
            {
                var n = upTo - done;
                var (g0, g1, g2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                var b = GC.GetAllocatedBytesForCurrentThread();
                var t = Stopwatch.GetTimestamp();
                for (; done < upTo; done++) { using var s = trace.Span("s"); }
                var ns = (Stopwatch.GetTimestamp() - t) * 1e9 / Stopwatch.Frequency / n;
                Console.WriteLine($"spans {upTo - n + 1,7:N0}..{upTo,7:N0}: {ns,7:N0} ns, {(GC.GetAllocatedBytesForCurrentThread() - b) / n,6:N0} B per span, GCs {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} (gen 0/1/2)");
            }
        }
    }
}
