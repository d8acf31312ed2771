using System.Diagnostics;
using System.Reactive.Concurrency;
using OpenTelemetry.Trace;
using PandaProbe.Model;
using PandaProbe.Model.Sampling;
using PandaProbe.Pipeline;
using PandaProbe.Redaction;

namespace PandaProbe.Benchmarks;

/// <summary>
/// What sampling and redaction cost, and where (<c>--only privacy</c>). <i>Calling thread</i>: the LLM unit (a trace
/// with one LLM span, messages in and out, model, tokens, cost) under each sampling setting, beside OpenTelemetry with
/// no listener and with its <c>AlwaysOffSampler</c>; the export side never runs (a virtual clock), so the figure is
/// the caller's share alone. <i>Export side</i>: the same completed traces through the export stage under each
/// content mode, on one thread, in batches of 10.
/// </summary>
public static class PrivacyProbe
{
    const int N = 200_000;
    const int Rounds = 5;

    public static void Run()
    {
        Console.WriteLine("Calling thread, per LLM unit (median of 5 rounds of 200,000):");
        using var otelOff = new OtelPeer(sampler: new AlwaysOffSampler());
        using var headOut = Client(s => { s.Ratio = 0; s.KeepErrors = false; });
        using var tail = Client(s => { s.Ratio = 0; s.KeepErrors = true; });
        using var kept = Client(s => s.Ratio = 1);
        var rows = new (string Label, Action Unit)[]
        {
            ("OTel, no listener", () => Work.OtelLlmSpan(Unlistened.Source)),
            ("OTel, AlwaysOffSampler", () => Work.OtelLlmSpan(otelOff.Source)),
            ("PandaProbe, disabled", () => Work.PandaLlmSpan(PandaProbeClient.Disabled)),
            ("PandaProbe, ratio 0, no keep rule (head)", () => Work.PandaLlmSpan(headOut)),
            ("PandaProbe, ratio 0, KeepErrors (tail)", () => Work.PandaLlmSpan(tail)),
            ("PandaProbe, ratio 1 (kept)", () => Work.PandaLlmSpan(kept)),
        };
        foreach (var (label, unit) in rows)
        {
            var (ns, bytes) = Median(unit);
            Console.WriteLine($"  {label,-42} {ns,8:N1} ns {bytes,6:N0} B");
        }
        Console.WriteLine($"  (head-sampled out: {headOut.Health.SampledOut:N0} counted; tail: decided on the export side, which did not run)");

        Sporadic();
        Console.WriteLine("Export side, per LLM unit (enrich, sample, redact, no-op export; median of 5 rounds of 20,000 after 3 discarded):");
        var items = Completed(20_000);
        var custom = new Redactor(ContentMode.Redacted, Redactor.DefaultKeyNames, true, true, true,
            [new System.Text.RegularExpressions.Regex("EMP-[0-9]{6}")], text => text.Replace("Falcon", "[codename]"));
        foreach (var (label, redactor, sampling) in new (string, Redactor, SamplingPolicy)[]
        {
            ("Full (no redaction)", Redactor.Off, SamplingPolicy.KeepAll),
            ("Redacted, built-in rules", Default(ContentMode.Redacted), SamplingPolicy.KeepAll),
            ("Redacted, + a pattern and Custom", custom, SamplingPolicy.KeepAll),
            ("MetadataOnly", Default(ContentMode.MetadataOnly), SamplingPolicy.KeepAll),
            ("Full, ratio 0.1 + KeepErrors (tail)", Redactor.Off, new SamplingPolicy(0.1, true, null, null)),
        })
        {
            var times = new double[Rounds];
            for (var w = 0; w < 3; w++) ExportSide(items, redactor, sampling);   // JIT tiers settle first
            var gcs = GC.CollectionCount(0);
            for (var r = 0; r < Rounds; r++) times[r] = ExportSide(items, redactor, sampling);
            var order = string.Join(", ", times.Select(x => x.ToString("N0")));
            Array.Sort(times);
            Console.WriteLine($"  {label,-42} {times[Rounds / 2],8:N0} ns   (rounds in order: {order}; {GC.CollectionCount(0) - gcs} gen0 GCs)");
        }
    }

    /// <summary>
    /// Whole-process CPU under sporadic traffic (one LLM unit every 2 ms, the caller sleeping in between), per unit after
    /// the export side drained, minus an empty loop's, median of 3 rounds of 1,000: OpenTelemetry, then PandaProbe with
    /// nothing left out, with the built-in redaction, and with a ratio of 0 decided at the start. Every row reports what
    /// was exported, so a figure bought by dropping traces shows as such.
    /// </summary>
    static void Sporadic()
    {
        const int units = 1_000;
        Console.WriteLine($"Sporadic, one LLM unit every 2 ms: whole-process CPU per unit ({ProcessCpu.Source}, after the drain, minus the empty loop; median of 3 rounds of {units:N0}):");
        double Round(Action unit, Action drain)
        {
            for (var i = 0; i < 20; i++) unit();
            drain();
            var cpu = ProcessCpu.Now();
            for (var i = 0; i < units; i++)
            {
                unit();
                Thread.Sleep(2);
            }
            drain();
            return (ProcessCpu.Now() - cpu).TotalMicroseconds / units;
        }
        double Median(Func<double> round)
        {
            var r = new[] { round(), round(), round() };
            Array.Sort(r);
            return r[1];
        }
        var empty = Median(() => Round(() => { }, () => { }));
        Console.WriteLine($"  {"empty loop (sleeping 2 ms)",-42} {empty,8:N1} µs");
        using (var otel = new OtelPeer())
        {
            var cpu = Median(() => Round(() => Work.OtelLlmSpan(otel.Source), otel.Flush)) - empty;
            Console.WriteLine($"  {"OpenTelemetry",-42} {cpu,8:N1} µs   exported {otel.Exporter.Exported:N0} activities");
        }
        foreach (var (label, configure) in new (string, Action<PandaProbeOptions>)[]
        {
            ("PandaProbe, Full", _ => { }),
            ("PandaProbe, Redacted (built-in rules)", o => o.ContentMode = ContentMode.Redacted),
            ("PandaProbe, ratio 0 decided at the start", o => { o.Sampling.Ratio = 0; o.Sampling.KeepErrors = false; }),
        })
        {
            var exporter = new CountingTraceExporter();
            var options = new PandaProbeOptions
            {
                Enabled = true, Exporters = { exporter }, RegisterProcessExitHandler = false,
                EnvironmentVariables = new Dictionary<string, string?>(),
            };
            configure(options);
            using var client = new PandaProbeClient(options);
            var cpu = Median(() => Round(() => Work.PandaLlmSpan(client), () => client.FlushAsync().GetAwaiter().GetResult())) - empty;
            var health = client.Health;
            Console.WriteLine($"  {label,-42} {cpu,8:N1} µs   exported {exporter.Traces:N0}, dropped {health.Dropped:N0}, sampled out {health.SampledOut:N0}");
        }
    }

    static Redactor Default(ContentMode mode) => new(mode, Redactor.DefaultKeyNames, true, true, true, [], null);

    static PandaProbeClient Client(Action<SamplingOptions> sampling)
    {
        var options = new PandaProbeOptions
        {
            Enabled = true, Exporters = { new CountingTraceExporter() }, MaxQueueSize = 16,
            RegisterProcessExitHandler = false, EnvironmentVariables = new Dictionary<string, string?>(),
            Scheduler = new HistoricalScheduler(),
        };
        sampling(options.Sampling);
        return new PandaProbeClient(options);
    }

    static (double Ns, double Bytes) Median(Action unit)
    {
        for (var i = 0; i < 20_000; i++) unit();
        var ns = new double[Rounds];
        var bytes = new double[Rounds];
        for (var r = 0; r < Rounds; r++)
        {
            var b = GC.GetAllocatedBytesForCurrentThread();
            var t = Stopwatch.GetTimestamp();
            for (var i = 0; i < N; i++) unit();
            ns[r] = Stopwatch.GetElapsedTime(t).TotalNanoseconds / N;
            bytes[r] = (GC.GetAllocatedBytesForCurrentThread() - b) / (double)N;
        }
        Array.Sort(ns);
        Array.Sort(bytes);
        return (ns[Rounds / 2], bytes[Rounds / 2]);
    }

    /// <summary>Completed LLM units, with a little metadata for the key rules to look at.</summary>
    static Output[] Completed(int count)
    {
        using var client = PartsProbe.CallerOnlyClient();
        var items = new Output[count];
        for (var i = 0; i < count; i++) items[i] = new Output.TraceCompleted(CompletedUnit(client));
        return items;
    }

    /// <summary>One LLM unit, completed, with a little metadata for the key rules to look at.</summary>
    internal static TraceRecord CompletedUnit(PandaProbeClient client)
    {
        using var trace = client.StartTrace("chat");
        trace.SetMetadata(new Dictionary<string, object?> { ["tenant"] = "acme", ["api_key"] = "sk-abc" });
        using (var span = trace.Span("completion", SpanType.Llm, model: Work.Model))
        {
            span.SetInput(Work.Input);
            span.SetOutput(Work.Output);
            span.SetTokenUsage(Work.PromptTokens, Work.CompletionTokens);
            span.SetCost(Work.Cost);
        }
        trace.End();
        return trace.Cell!.Completed!;
    }

    static double ExportSide(Output[] items, Redactor redactor, SamplingPolicy sampling)
    {
        var counters = new PipelineCounters();
        var exporter = new CountingTraceExporter();
        var prepare = new Preparation(new Model.Enrichment.Enricher(Model.Pricing.PriceCatalog.Default, null, null), redactor,
            sampling, counters, new IsolatedSubject<TraceRecord>("CompletedTraces", 16, counters),
            new IsolatedSubject<Output>("Outputs", 16, counters), TimeProvider.System);
        var t = Stopwatch.GetTimestamp();
        for (var i = 0; i < items.Length; i += 10)
            PartsProbe.ExportOne(prepare, exporter, items[i..(i + 10)]);
        return Stopwatch.GetElapsedTime(t).TotalNanoseconds / items.Length;
    }
}

/// <summary>
/// A diagnostic (<c>--only redactor</c>): the pieces on their own, through a delegate each, three rounds (the first
/// runs unoptimised code): the redaction of a JSON input, a text and a whole LLM trace; the start-of-trace sampling
/// draw and its counter; <c>StartTrace</c> and the LLM unit on a disabled client and on one whose ratio drops every trace.
/// </summary>
public static class RedactorProbe
{
    public static void Run()
    {
        var r = new Redactor(ContentMode.Redacted, Redactor.DefaultKeyNames, true, true, true, [], null);
        var input = Payload.Json(System.Text.Json.JsonSerializer.Serialize(Work.Input));
        var text = "What is the capital of France?";
        using var client = PartsProbe.CallerOnlyClient();
        var completed = PrivacyProbe.CompletedUnit(client);
        var policy = new SamplingPolicy(0, false, null, null);
        var options = new PandaProbeOptions
        {
            Enabled = true, Exporters = { new CountingTraceExporter() }, RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>(), Scheduler = new HistoricalScheduler(),
        };
        options.Sampling.Ratio = 0;
        options.Sampling.KeepErrors = false;
        using var head = new PandaProbeClient(options);
        var counters = new PipelineCounters();
        for (var round = 0; round < 3; round++)
        {
            Console.WriteLine(string.Join("; ", new (string, Action)[]
            {
                ("json", () => r.Value(input)), ("text", () => r.Text(text)), ("trace", () => r.Apply(completed)),
                ("StartOrDrop", () => policy.StartOrDrop()), ("SampledOut", counters.SampledOut),
                ("disabled StartTrace", () => PandaProbeClient.Disabled.StartTrace("chat").Dispose()),
                ("head StartTrace", () => head.StartTrace("chat").Dispose()),
                ("disabled unit", () => Work.PandaLlmSpan(PandaProbeClient.Disabled)),
                ("head unit", () => Work.PandaLlmSpan(head)),
            }.Select(x =>
            {
                var b = GC.GetAllocatedBytesForCurrentThread();
                var t = Stopwatch.GetTimestamp();
                for (var i = 0; i < 100_000; i++) x.Item2();
                return $"{x.Item1} {Stopwatch.GetElapsedTime(t).TotalNanoseconds / 100_000:N0} ns {(GC.GetAllocatedBytesForCurrentThread() - b) / 100_000:N0} B";
            })));
        }
    }
}
