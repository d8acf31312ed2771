using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace PandaProbe.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/PandaProbe.Benchmarks -- --quick [--doc docs/BENCHMARKS.md]</c>.
/// Without <c>--quick</c>: BenchmarkDotNet's default job (out of process, automatic iteration counts).
/// <c>--only bdn|throughput|alloc</c> runs one part; <c>--class Name</c> keeps the BenchmarkDotNet classes whose name
/// contains it; <c>--only agent-loop</c> compares tracing a Microsoft.Extensions.AI tool loop (PandaProbe middleware,
/// OpenTelemetry, ingestion); <c>--only fold</c>, <c>--only loop</c> and <c>--only panda-throughput</c> are diagnostics for profiling.
/// </summary>
public static class Program
{
    static readonly Type[] Classes =
        [typeof(DisabledSpan), typeof(TraceWithOneSpan), typeof(SingleActivity), typeof(LlmSpan), typeof(SpanInTraceOfSize), typeof(TwoThreads)];

    public static int Main(string[] args)
    {
        var quick = args.Contains("--quick");
        var doc = Arg(args, "--doc");
        var only = Arg(args, "--only");
        var started = Stopwatch.StartNew();
        var loadBefore = Report.LoadAverage();
        Ledger.Reset();
        var mode = quick ? "quick" : "full";

        IReadOnlyList<CallerAllocations.Row> alloc = [];
        IReadOnlyList<Throughput.Row> throughput = [];
        IReadOnlyList<Traffic.Row> traffic = [];
        Summary[] summaries = [];

        if (Environment.GetEnvironmentVariable("BENCH_TRACE") == "1") SelfLog.Enable(m => Console.Error.WriteLine("selflog: " + m));
        if (only == "loop") { LoopProbe.Run(); return 0; }
        if (only == "panda-throughput") { Throughput.RunPandaOnly(quick); return 0; }

        if (only == "parts") { PartsProbe.Run(); return 0; }
        if (only == "steps") { StepsProbe.Run(); return 0; }
        if (only == "capture") { CaptureProbe.Run(); return 0; }
        if (only == "cold") { ColdProbe.Run(); return 0; }
        if (only == "big") { BigTraceProbe.Run(); return 0; }
        if (only == "privacy") { PrivacyProbe.Run(); return 0; }
        if (only == "redactor") { RedactorProbe.Run(); return 0; }
        if (only == "delivery") { DeliveryProbe.Run(); return 0; }
        if (only == "agent-loop") { AgentLoopProbe.Run(); return 0; }
        if (only == "alloc-types") { AllocationTypes.Run(args.Length > 2 ? args[2] : "paced", args.Length > 3 && args[3] == "caller"); return 0; }
        if (only == "flush-cost") { FlushCost.Run(); return 0; }
        if (only == "paced-panda") { PacedProbe.RunPandaOnly(); return 0; }
        if (only == "export-side") { ExportSideProbe.Run(); return 0; }
        if (only == "paced") { PacedProbe.Run(args.Length > 2 && int.TryParse(args[2], out var n) ? n : 7); return 0; }
        if (only == "agent-loop-middleware") { AgentLoopProbe.RunMiddlewareOnly(); return 0; }
        if (only is null or "traffic") traffic = Traffic.Run(quick);
        if (only is null or "throughput") throughput = Throughput.Run(quick);
        if (only is null or "alloc") alloc = CallerAllocations.Measure();
        var filter = Arg(args, "--class");
        var classes = Classes.Where(t => filter is null || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (only is null or "bdn") summaries = BenchmarkRunner.Run(classes, Config(quick));

        var report = Report.Build(mode, args, summaries, alloc, throughput, traffic, started.Elapsed, loadBefore);
        Console.WriteLine();
        Console.WriteLine(report);
        if (doc is not null) Report.WriteInto(doc, report);
        return 0;
    }

    static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static IConfig Config(bool quick)
    {
        var job = quick
            ? Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(8)
                .WithIterationTime(TimeInterval.FromMilliseconds(100)).WithId("Quick")
            : Job.Default.WithId("Full");
        return ManualConfig.CreateMinimumViable()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>Builds the Markdown report: machine, command, per-scenario ratios, budgets, throughput, drops.</summary>
public static class Report
{
    public const string Start = "<!-- results:start -->";
    public const string End = "<!-- results:end -->";

    sealed record Measure(string Class, string Method, string Param, double MeanNs, double? AllocatedBytes);

    public static string Build(string mode, string[] args, Summary[] summaries, IReadOnlyList<CallerAllocations.Row> alloc,
        IReadOnlyList<Throughput.Row> throughput, IReadOnlyList<Traffic.Row> traffic, TimeSpan elapsed, string loadBefore)
    {
        var inv = CultureInfo.InvariantCulture;
        var m = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).Select(r => new Measure(
            r.BenchmarkCase.Descriptor.Type.Name,
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
            string.Join(",", r.BenchmarkCase.Parameters.Items.Select(p => p.Value?.ToString())),
            r.ResultStatistics!.Mean,
            r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase))).ToList();

        double? Mean(string cls, string method, string param = "") =>
            m.FirstOrDefault(x => x.Class == cls && x.Method == method && x.Param == param)?.MeanNs;
        double? Alloc(string cls, string method, string param = "") =>
            m.FirstOrDefault(x => x.Class == cls && x.Method == method && x.Param == param)?.AllocatedBytes;
        string Ns(double? v) => v is { } x ? x.ToString(x < 100 ? "N2" : "N0", inv) : "n/a";
        string B(double? v) => v is { } x ? x.ToString("N0", inv) : "n/a";
        string Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? (x / y).ToString("N2", inv) + "×" : "n/a";

        var p2 = Mean(nameof(TraceWithOneSpan), "PandaProbe");
        var sb = new StringBuilder();
        sb.AppendLine($"### Results ({mode} run, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, took {elapsed.TotalSeconds:N0} s)");
        sb.AppendLine();
        sb.AppendLine("Machine: " + Machine());
        sb.AppendLine();
        sb.AppendLine($"Load average (1, 5, 15 min) at start: {loadBefore}; at end: {LoadAverage()}. A load far above the core count");
        sb.AppendLine("means other processes shared the CPUs and every absolute time below is inflated (ratios less so).");
        sb.AppendLine();
        sb.AppendLine($"Command: `dotnet run -c Release --project benchmarks/PandaProbe.Benchmarks -- {string.Join(' ', args)}`");
        sb.AppendLine();

        if (m.Count > 0)
        {
            sb.AppendLine("#### Per-operation cost on the calling thread, side by side (BenchmarkDotNet)");
            sb.AppendLine();
            sb.AppendLine("Time is the mean per operation; *allocated* is BenchmarkDotNet's figure (every thread of the process, so");
            sb.AppendLine("PandaProbe's includes part of its export side's work); *caller* is what the calling thread itself allocated, fold included.");
            sb.AppendLine("Ratio = PandaProbe / OpenTelemetry (below 1 means PandaProbe is cheaper).");
            sb.AppendLine();
            sb.AppendLine("| Scenario | PandaProbe ns | OTel ns | Ratio | PandaProbe allocated B | OTel allocated B | PandaProbe caller B | OTel caller B |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            void Line(string label, string cls, string param = "", string? allocLabel = null)
            {
                var a = alloc.FirstOrDefault(x => x.Scenario == allocLabel);
                var p = Mean(cls, "PandaProbe", param);
                var o = Mean(cls, "OpenTelemetry", param);
                sb.AppendLine($"| {label} | {Ns(p)} | {Ns(o)} | {Ratio(p, o)} | {B(Alloc(cls, "PandaProbe", param))} | {B(Alloc(cls, "OpenTelemetry", param))} | {B(a?.Panda)} | {B(a?.Otel)} |");
            }
            Line("1. disabled: span start + end", nameof(DisabledSpan), allocLabel: "1. disabled: span start + end");
            Line("2. one trace with one span (OTel: root + child)", nameof(TraceWithOneSpan), allocLabel: "2. one trace with one span");
            var single = Mean(nameof(SingleActivity), "OpenTelemetry");
            sb.AppendLine($"| 2. (reference) OTel single root activity | {Ns(p2)} | {Ns(single)} | {Ratio(p2, single)} | {B(Alloc(nameof(TraceWithOneSpan), "PandaProbe"))} | {B(Alloc(nameof(SingleActivity), "OpenTelemetry"))} | | |");
            Line("3. LLM span: 4 messages in, 1 out, model, tokens, cost", nameof(LlmSpan), allocLabel: "3. LLM span (messages, model, tokens, cost)");
            foreach (var n in new[] { 10, 1_000, 100_000 })
                Line($"4. one span in a trace of {n:N0}", nameof(SpanInTraceOfSize), n.ToString(inv), $"4. span in a trace of {n:N0}");
            Line("6. two threads, trace + span each (wall time per span)", nameof(TwoThreads));
            sb.AppendLine();
        }
        else if (alloc.Count > 0)
        {
            sb.AppendLine("| Scenario | PandaProbe caller B | OTel caller B |");
            sb.AppendLine("|---|---:|---:|");
            foreach (var a in alloc) sb.AppendLine($"| {a.Scenario} | {B(a.Panda)} | {B(a.Otel)} |");
            sb.AppendLine();
        }

        if (throughput.Count > 0)
        {
            sb.AppendLine("#### Scenario 5: end-to-end throughput (traces of 10 spans; the clock stops when the exporter has everything)");
            sb.AppendLine();
            sb.AppendLine("Fed rows: the producer waits while more than half the export queue is taken, so nothing is dropped; rounds on one client");
            sb.AppendLine("after a warm-up; *spans/s* is the median round, *first* the first round after");
            sb.AppendLine("start-up (cold JIT). Flat-out rows: one run of the stated length; what the export queue could not hold is dropped (counted).");
            sb.AppendLine();
            sb.AppendLine("| SDK | Exporter | Load | Rounds | Spans made | Spans exported | Dropped | Spans/s exported | Best round | First round | Peak working set MB (baseline) | Peak managed heap MB | GCs gen0/1/2, pause |");
            sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            static string Opt(double v) => v > 0 ? v.ToString("N0", CultureInfo.InvariantCulture) : "";
            foreach (var t in throughput)
                sb.AppendLine($"| {t.Sdk} | {t.Exporter} | {t.Load} | {t.Rounds} | {t.SpansMade:N0} | {t.SpansExported:N0} | {t.Dropped:N0} | {t.SpansPerSecond:N0} | {Opt(t.Best)} | {Opt(t.First)} | {t.PeakWorkingSetMb:N0} ({t.BaselineWorkingSetMb:N0}) | {t.PeakHeapMb:N0} | {t.Gc} |");
            sb.AppendLine();
            sb.AppendLine("PandaProbe's *Dropped* is `client.Health.Dropped` (flat out: completed traces the export queue dropped, oldest first, when the export side fell behind; nothing is refused at a trace's start); OpenTelemetry's counts activities that never reached the exporter.");
            sb.AppendLine();
        }

        if (traffic.Count > 0) TrafficSection(sb, traffic);

        if (m.Count > 0 || throughput.Count > 0)
        {
            sb.AppendLine("#### Budgets");
            sb.AppendLine();
            sb.AppendLine("| Budget | Measured | Verdict |");
            sb.AppendLine("|---|---|---|");
            static string V(bool? ok) => ok switch { true => "met", false => "**missed**", null => "n/a" };
            static bool? Check(double? value, Func<double, bool> ok) => value is { } v ? ok(v) : null;
            if (m.Count > 0)
            {
                var d = Mean(nameof(DisabledSpan), "PandaProbe");
                var da = alloc.FirstOrDefault(x => x.Scenario.StartsWith("1.", StringComparison.Ordinal))?.Panda ?? Alloc(nameof(DisabledSpan), "PandaProbe");
                sb.AppendLine($"| disabled: ≤ 20 ns and 0 B per span | {Ns(d)} ns, {B(da)} B | {V(d is null || da is null ? null : d <= 20 && da == 0)} |");
                var o2 = Mean(nameof(TraceWithOneSpan), "OpenTelemetry");
                sb.AppendLine($"| 2: no slower than OTel (root + child) | {Ns(p2)} ns vs {Ns(o2)} ns ({Ratio(p2, o2)}) | {V(o2 is { } o2v ? Check(p2, v => v <= o2v) : null)} |");
                var a2 = alloc.FirstOrDefault(x => x.Scenario.StartsWith("2.", StringComparison.Ordinal))?.Panda;
                var b2 = Alloc(nameof(TraceWithOneSpan), "PandaProbe");
                sb.AppendLine($"| 2: ≤ 500 B allocated per span, the trace's own cost charged to its one span | caller {B(a2)} B; process-wide {B(b2)} B | {V(Check(a2, v => v <= 500))} (caller) / {V(Check(b2, v => v <= 500))} (process) |");
                var oa2 = alloc.FirstOrDefault(x => x.Scenario.StartsWith("2.", StringComparison.Ordinal))?.Otel;
                sb.AppendLine($"| 2: ≤ 500 B allocated per span, the trace counted as a span (as OpenTelemetry's root activity is) | caller {B(a2 / 2)} B per span (OTel {B(oa2 / 2)}); process-wide {B(b2 / 2)} B | {V(Check(a2 / 2, v => v <= 500))} (caller) / {V(Check(b2 / 2, v => v <= 500))} (process) |");
                var a4 = alloc.Where(x => x.Scenario.StartsWith("4.", StringComparison.Ordinal)).Select(x => (double?)x.Panda).Max();
                sb.AppendLine($"| 4: ≤ 500 B allocated per span inside a trace (largest of the three sizes) | caller {B(a4)} B | {V(Check(a4, v => v <= 500))} (caller) |");
                var s10 = Mean(nameof(SpanInTraceOfSize), "PandaProbe", "10");
                var s100k = Mean(nameof(SpanInTraceOfSize), "PandaProbe", "100000");
                sb.AppendLine($"| 4: per span at 100,000 ≤ 1.3 × per span at 10 | {Ns(s100k)} ns vs {Ns(s10)} ns ({Ratio(s100k, s10)}) | {V(s10 is { } s10v ? Check(s100k, v => v <= 1.3 * s10v) : null)} |");
            }
            var noop = throughput.Where(t => t.Sdk == "PandaProbe" && t.Exporter == "no-op").ToList();
            if (noop.Count > 0)
            {
                var fed = noop.FirstOrDefault(t => t.Rounds > 1);
                if (fed is not null)
                    sb.AppendLine($"| 5: ≥ 1,000,000 spans/s through the fold to a no-op exporter | fed: median {fed.SpansPerSecond:N0} spans/s over {fed.Rounds} rounds (best {fed.Best:N0}; first round after start-up {fed.First:N0}); flat out: {string.Join(", ", noop.Where(t => t.Rounds == 1).Select(t => t.SpansPerSecond.ToString("N0", CultureInfo.InvariantCulture)))} | {V(fed.SpansPerSecond >= 1_000_000)} |");
                var flat = noop.Where(t => t.Rounds == 1).ToList();
                if (flat.Count > 0)
                {
                    var peaks = string.Join(" vs ", flat.Select(t => $"{t.PeakWorkingSetMb:N0} MB after {t.Seconds:0.#} s ({t.SpansMade:N0} spans offered)"));
                    sb.AppendLine($"| 5: memory bounded by the queue, not the load | peak working set {peaks} | see text |");
                }
            }
            sb.AppendLine();
        }

        var ledger = Ledger.Entries;
        if (ledger.Count > 0)
        {
            sb.AppendLine("#### Drops during the BenchmarkDotNet scenarios (whole run, including pilot and warm-up)");
            sb.AppendLine();
            sb.AppendLine("| Benchmark | SDK | Made | Exported | Dropped | Detail |");
            sb.AppendLine("|---|---|---:|---:|---:|---|");
            foreach (var e in ledger)
                sb.AppendLine($"| {e.Benchmark} | {e.Sdk} | {e.Made:N0} | {e.Exported:N0} | {e.Dropped:N0} | {e.Note} |");
            sb.AppendLine();
        }

        if (summaries.Length > 0)
        {
            sb.AppendLine("<details><summary>BenchmarkDotNet tables</summary>");
            sb.AppendLine();
            foreach (var s in summaries)
            {
                var logger = new AccumulationLogger();
                MarkdownExporter.GitHub.ExportToLog(s, logger);
                sb.AppendLine(logger.GetLog().Trim());
                sb.AppendLine();
            }
            sb.AppendLine("</details>");
        }
        return sb.ToString();
    }

    /// <summary>Scenarios 7 to 10 (what users pay under real traffic), side by side, with the budgets of the pipeline issue.</summary>
    static void TrafficSection(StringBuilder sb, IReadOnlyList<Traffic.Row> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        string F(double v, string format = "N1") => double.IsNaN(v) ? "n/a" : v.ToString(format, inv);
        sb.AppendLine("#### Scenarios 7–10: real traffic, whole-process CPU (trace + one LLM span, no-op exporters, default settings)");
        sb.AppendLine();
        sb.AppendLine($"CPU is the whole process's ({ProcessCpu.Source}), read after a flush drained the background work; sporadic rows");
        sb.AppendLine("subtract the same loop's CPU with no tracing. *Caller* is the calling thread's time per trace. Ratio = PandaProbe / OpenTelemetry.");
        sb.AppendLine();
        sb.AppendLine("| Scenario | SDK | Traces | Caller µs/trace | CPU µs/trace | Exported | Refused | Dropped | Note |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
            sb.AppendLine($"| {r.Scenario} | {r.Sdk} | {r.Traces:N0} | {F(r.CallerUs)} | {F(r.CpuUs)} | {r.Exported:N0} | {r.Refused:N0} | {r.Dropped:N0} | {r.Note} |");
        sb.AppendLine();
        sb.AppendLine("| Budget (issue 10) | Measured | Verdict |");
        sb.AppendLine("|---|---|---|");
        static string V(bool ok) => ok ? "met" : "**missed**";
        foreach (var g in rows.GroupBy(r => r.Scenario))
        {
            var p = g.FirstOrDefault(r => r.Sdk == "PandaProbe");
            var o = g.FirstOrDefault(r => r.Sdk == "OpenTelemetry");
            if (p is null || o is null) continue;
            if (g.Key.StartsWith("sporadic", StringComparison.Ordinal))
                sb.AppendLine($"| {g.Key}: CPU per trace ≤ OpenTelemetry's (within a few µs) | {F(p.CpuUs)} vs {F(o.CpuUs)} µs ({F(p.CpuUs / o.CpuUs, "N2")}×); caller {F(p.CallerUs)} vs {F(o.CallerUs)} µs | {V(p.CpuUs <= o.CpuUs + 3)} |");
            else if (g.Key.StartsWith("paced", StringComparison.Ordinal))
                sb.AppendLine($"| {g.Key}: caller and CPU ≤ 1.0× OpenTelemetry (aim 0.5×) | caller {F(p.CallerUs, "N2")} vs {F(o.CallerUs, "N2")} µs ({F(p.CallerUs / o.CallerUs, "N2")}×); CPU {F(p.CpuUs, "N2")} vs {F(o.CpuUs, "N2")} µs ({F(p.CpuUs / o.CpuUs, "N2")}×) | {V(p.CallerUs <= o.CallerUs && p.CpuUs <= o.CpuUs)} |");
            else if (g.Key.StartsWith("flood", StringComparison.Ordinal))
                sb.AppendLine($"| {g.Key}: refuses no more than OpenTelemetry drops | PandaProbe refused {p.Refused:N0}, dropped {p.Dropped:N0} of {p.Traces:N0} ({F(100.0 * (p.Refused + p.Dropped) / Math.Max(1, p.Traces), "N2")} %); OpenTelemetry dropped {o.Dropped:N0} of {o.Traces:N0} ({F(100.0 * o.Dropped / Math.Max(1, o.Traces), "N2")} %) | {V(p.Refused <= o.Dropped && (double)(p.Refused + p.Dropped) / Math.Max(1, p.Traces) <= (double)o.Dropped / Math.Max(1, o.Traces))} |");
            else if (g.Key.StartsWith("idle", StringComparison.Ordinal))
                // The SDK's own idle cost is its background thread's CPU (the caller does nothing), read per thread.
                sb.AppendLine($"| {g.Key}: below 1 ms of CPU per 10 s | the export thread: {F(p.CpuUs / 1000, "N3")} ms per 10 s, {p.Scheduled} actions scheduled on it (OpenTelemetry's export thread: {F(o.CpuUs / 1000, "N3")} ms) | {V(p.CpuUs < 1000)} |");
        }
        sb.AppendLine();
    }

    public static string LoadAverage()
    {
        try { return string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?
                .Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return $"{cpu}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, " +
               $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture}), " +
               $"GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}";
    }

    /// <summary>Replaces the text between the result markers of <paramref name="path"/> (appends them when absent).</summary>
    public static void WriteInto(string path, string report)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\n";
        var s = text.IndexOf(Start, StringComparison.Ordinal);
        var e = text.IndexOf(End, StringComparison.Ordinal);
        var block = $"{Start}\n{report.Trim()}\n{End}";
        text = s >= 0 && e > s ? text[..s] + block + text[(e + End.Length)..] : text.TrimEnd() + "\n\n" + block + "\n";
        File.WriteAllText(path, text);
        Console.WriteLine($"// wrote {path}");
    }
}
