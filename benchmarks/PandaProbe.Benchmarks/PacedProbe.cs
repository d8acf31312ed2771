using System.Diagnostics;
using System.Globalization;
using PandaProbe.Model;

namespace PandaProbe.Benchmarks;

/// <summary>
/// The paced comparison of issue 22, in its exact shape: one operation is a trace <c>t</c> with one LLM span whose
/// model, token usage (10, 5) and cost (0.0001) are set through the setters; OpenTelemetry's is a root activity and a
/// child with the same four tags. 100,000 operations a round in chunks of 500, the background drained (flushed)
/// between chunks; rounds alternate between the sides (PandaProbe, OpenTelemetry, PandaProbe, …) so both see the same
/// machine; per round: the calling thread's time and bytes and the whole process's CPU, read after the drain. Each
/// side reports its median and range, and the ratio is taken per pair of rounds (median and range of the pairs).
/// A round whose exporter did not receive every operation is reported as such: a figure bought by dropping is not a
/// speed. <c>--only paced [rounds]</c>.
/// </summary>
public static class PacedProbe
{
    const int Ops = 100_000, Chunk = 500;

    public sealed record Round(double CallerNs, double CpuNs, double Bytes, long Exported);

    public static void Run(int rounds = 7)
    {
        WarmUp();
        var panda = new List<Round>();
        var otel = new List<Round>();
        for (var r = 0; r < rounds; r++)
        {
            panda.Add(PandaRound());
            otel.Add(OtelRound());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"// paced round {r + 1}: PandaProbe caller {panda[^1].CallerNs:N0} ns, CPU {panda[^1].CpuNs:N0} ns, {panda[^1].Bytes:N0} B, exported {panda[^1].Exported:N0}; " +
                $"OpenTelemetry caller {otel[^1].CallerNs:N0} ns, CPU {otel[^1].CpuNs:N0} ns, {otel[^1].Bytes:N0} B, exported {otel[^1].Exported:N0}"));
        }
        Console.WriteLine();
        Console.WriteLine($"Paced (issue 22's shape): {rounds} alternating rounds of {Ops:N0} operations in chunks of {Chunk}, drained between chunks; CPU from {ProcessCpu.Source}.");
        Console.WriteLine();
        Console.WriteLine("| per operation | PandaProbe median (range) | OpenTelemetry median (range) | ratio, paired rounds: median (range) |");
        Console.WriteLine("|---|---:|---:|---:|");
        Line("caller time (ns)", panda.Select(x => x.CallerNs).ToList(), otel.Select(x => x.CallerNs).ToList());
        Line("whole-process CPU (ns)", panda.Select(x => x.CpuNs).ToList(), otel.Select(x => x.CpuNs).ToList());
        Line("caller bytes", panda.Select(x => x.Bytes).ToList(), otel.Select(x => x.Bytes).ToList());
        var complete = panda.All(x => x.Exported == Ops) && otel.All(x => x.Exported == 2 * Ops);
        Console.WriteLine();
        Console.WriteLine(complete
            ? "Every round exported every operation (PandaProbe: one trace each; OpenTelemetry: two activities each)."
            : "WARNING: some round did not export everything; these figures are not speeds.");
    }

    /// <summary>Diagnostics: PandaProbe's side only, for a profiler (<c>--only paced-panda</c>).</summary>
    public static void RunPandaOnly()
    {
        WarmUp();
        for (var r = 0; r < 3; r++) Console.WriteLine($"// caller {PandaRound().CallerNs:N0} ns");
    }

    static void Line(string what, List<double> p, List<double> o)
    {
        var ratios = p.Zip(o, (a, b) => a / b).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {Median(p):N0} ({p.Min():N0}–{p.Max():N0}) | {Median(o):N0} ({o.Min():N0}–{o.Max():N0}) | {Median(ratios):0.00}× ({ratios.Min():0.00}–{ratios.Max():0.00}) |"));
    }

    static double Median(List<double> values)
    {
        var sorted = values.OrderBy(x => x).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The PandaProbe operation.</summary>
    public static void PandaOp(PandaProbeClient client)
    {
        using var t = client.StartTrace("t");
        using var span = t.Span("llm", SpanType.Llm);
        span.SetModel("gpt-4o");
        span.SetTokenUsage(10, 5);
        span.SetCost(0.0001);
    }

    /// <summary>The OpenTelemetry operation: a root and a child with the same four values as tags.</summary>
    public static void OtelOp(ActivitySource source)
    {
        using var root = source.StartActivity("t");
        using var child = source.StartActivity("llm");
        if (child is null) return;
        child.SetTag("gen_ai.request.model", "gpt-4o");
        child.SetTag("gen_ai.usage.input_tokens", 10L);
        child.SetTag("gen_ai.usage.output_tokens", 5L);
        child.SetTag("gen_ai.usage.cost", 0.0001);
    }

    /// <summary>
    /// Three seconds of each side, unreported: the runtime promotes hot methods to optimised code only after their
    /// calls have settled, and the first rounds after a shorter warm-up ran partly unoptimised (2–4× slower).
    /// </summary>
    static void WarmUp()
    {
        var until = Stopwatch.StartNew();
        using (var peer = new PandaPeer())
            while (until.Elapsed < TimeSpan.FromSeconds(3))
            {
                for (var i = 0; i < Chunk; i++) PandaOp(peer.Client);
                peer.Flush();
            }
        until.Restart();
        using (var peer = new OtelPeer())
            while (until.Elapsed < TimeSpan.FromSeconds(3))
            {
                for (var i = 0; i < Chunk; i++) OtelOp(peer.Source);
                peer.Flush();
            }
    }

    static Round PandaRound()
    {
        using var peer = new PandaPeer();
        var exporter = (CountingTraceExporter)peer.Exporter;
        return Measure(() => PandaOp(peer.Client), peer.Flush, () => exporter.Traces);
    }

    static Round OtelRound()
    {
        using var peer = new OtelPeer();
        return Measure(() => OtelOp(peer.Source), peer.Flush, () => peer.Exporter.Exported);
    }

    static Round Measure(Action op, Action drain, Func<long> exported)
    {
        for (var i = 0; i < Chunk; i++) op();   // first-use costs of this client stay out of the window
        drain();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = exported();
        var caller = new Stopwatch();
        long bytes = 0;
        var cpu = ProcessCpu.Now();
        for (var done = 0; done < Ops; done += Chunk)
        {
            var b = GC.GetAllocatedBytesForCurrentThread();
            caller.Start();
            for (var i = 0; i < Chunk; i++) op();
            caller.Stop();
            bytes += GC.GetAllocatedBytesForCurrentThread() - b;
            drain();
        }
        var used = ProcessCpu.Now() - cpu;
        return new Round(caller.Elapsed.TotalNanoseconds / Ops, used.TotalNanoseconds / Ops, (double)bytes / Ops, exported() - before);
    }
}
