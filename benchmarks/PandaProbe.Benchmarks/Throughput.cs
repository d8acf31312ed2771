using System.Diagnostics;
using PandaProbe.Exporters;

namespace PandaProbe.Benchmarks;

/// <summary>
/// Scenario 5: end-to-end throughput, measured with a plain loop (BenchmarkDotNet is per operation). A producer makes
/// traces of ten spans as fast as it can; the clock stops when the SDK reports everything flushed to the exporter.
/// Throughput is spans that reached the exporter per second, so dropped spans never count. A sampler thread records
/// the peak working set and managed heap over the run (the process-wide PeakWorkingSet64 cannot be reset per run).
/// </summary>
public static class Throughput
{
    public sealed record Row(string Sdk, string Exporter, string Load, long SpansMade, long SpansExported,
        long Dropped, double Seconds, double SpansPerSecond, long PeakWorkingSetMb, long PeakHeapMb, long BaselineWorkingSetMb);

    public const int SpansPerTrace = 10;

    public static IReadOnlyList<Row> Run(bool quick)
    {
        var rows = new List<Row>();
        var big = quick ? 300_000 : 2_000_000;
        var small = quick ? 100_000 : 1_000_000;
        // Warm both SDKs once (JIT) with a small run that is not reported.
        PandaRun("warm-up", () => new CountingTraceExporter(), 50_000, pace: 0, quiet: true);
        OtelRun(50_000, pace: 0);

        rows.Add(PandaRun("no-op", () => new CountingTraceExporter(), big, pace: 0));
        rows.Add(PandaRun("no-op", () => new CountingTraceExporter(), 4 * big, pace: 0));
        rows.Add(PandaRun("no-op", () => new CountingTraceExporter(), 2 * big, pace: 1_000));
        var file = Path.Combine(Path.GetTempPath(), $"pandaprobe-bench-{Environment.ProcessId}.jsonl");
        try
        {
            rows.Add(PandaRun("JSON Lines file", () => new CountingWrapper(new FileTraceExporter(file)), small, pace: 1_000));
        }
        finally { try { File.Delete(file); } catch (IOException) { } }
        rows.Add(OtelRun(big, pace: 0));
        rows.Add(OtelRun(4 * big, pace: 0));
        return rows;
    }

    /// <summary>Diagnostics: PandaProbe's paced run and file run only (for profiling).</summary>
    public static void RunPandaOnly(bool quick)
    {
        PandaRun("no-op", () => new CountingTraceExporter(), quick ? 1_000_000 : 4_000_000, pace: 1_000);
        PandaRun("no-op", () => new CountingTraceExporter(), quick ? 1_000_000 : 4_000_000, pace: 0);
        var file = Path.Combine(Path.GetTempPath(), $"pandaprobe-bench-{Environment.ProcessId}.jsonl");
        try { PandaRun("JSON Lines file", () => new CountingWrapper(new FileTraceExporter(file)), 20_000, pace: 1_000); }
        finally { try { File.Delete(file); } catch (IOException) { } }
    }

    static string Load(long spans, int pace) => pace == 0
        ? $"{spans:N0} spans, flat out"
        : $"{spans:N0} spans, flush every {pace:N0} traces";

    static Row PandaRun(string exporterName, Func<ITraceExporter> exporter, int spans, int pace, bool quiet = false)
    {
        var baseline = Settle();
        using var peer = new PandaPeer(exporter: exporter());
        using var sampler = new PeakSampler();
        var client = peer.Client;
        var sw = Stopwatch.StartNew();
        var traces = spans / SpansPerTrace;
        for (var t = 1; t <= traces; t++)
        {
            Work.PandaSpansInTraces(client, SpansPerTrace, SpansPerTrace);
            if (pace > 0 && t % pace == 0) peer.Flush();
        }
        peer.Flush();
        sw.Stop();
        var exported = peer.Exporter is CountingWrapper w ? w.Spans : peer.ExportedSpans;
        var h = client.Health;
        var row = new Row("PandaProbe", exporterName, Load(spans, pace), spans, exported, h.Dropped, sw.Elapsed.TotalSeconds,
            exported / sw.Elapsed.TotalSeconds, sampler.PeakWorkingSet / (1 << 20), sampler.PeakHeap / (1 << 20), baseline / (1 << 20));
        if (!quiet) Console.WriteLine($"// throughput: {row}");
        return row;
    }

    static Row OtelRun(int spans, int pace)
    {
        var baseline = Settle();
        using var peer = new OtelPeer();      // OpenTelemetry's defaults: queue 2048, batch 512, 5 s delay
        using var sampler = new PeakSampler();
        var source = peer.Source;
        var sw = Stopwatch.StartNew();
        var traces = spans / SpansPerTrace;
        for (var t = 1; t <= traces; t++)
        {
            Work.OtelSpansInTraces(source, SpansPerTrace, SpansPerTrace);
            if (pace > 0 && t % pace == 0) peer.Flush();
        }
        peer.Flush();
        sw.Stop();
        var made = spans + traces;       // child activities plus one root activity per trace
        var exported = peer.Exporter.Exported;
        var exportedSpans = exported * SpansPerTrace / (SpansPerTrace + 1);
        var row = new Row("OpenTelemetry", "no-op", Load(spans, pace), spans, exportedSpans, made - exported,
            sw.Elapsed.TotalSeconds, exportedSpans / sw.Elapsed.TotalSeconds,
            sampler.PeakWorkingSet / (1 << 20), sampler.PeakHeap / (1 << 20), baseline / (1 << 20));
        Console.WriteLine($"// throughput: {row}");
        return row;
    }

    static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Environment.WorkingSet;
    }

    /// <summary>Counts spans, then hands the batch to the real exporter.</summary>
    sealed class CountingWrapper(ITraceExporter inner) : ITraceExporter
    {
        long spans;
        public long Spans => Interlocked.Read(ref spans);
        public string Name => inner.Name;

        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            var result = await inner.ExportAsync(batch, cancellationToken).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                long s = batch.LateSpans.Count;
                foreach (var t in batch.Traces) s += t.Spans.Count;
                Interlocked.Add(ref spans, s);
            }
            return result;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public ValueTask ShutdownAsync(CancellationToken cancellationToken) => inner.ShutdownAsync(cancellationToken);
    }

    /// <summary>Samples the working set and managed heap every 2 ms on its own thread.</summary>
    sealed class PeakSampler : IDisposable
    {
        readonly Thread thread;
        volatile bool stop;
        long peakWs, peakHeap;

        public PeakSampler()
        {
            thread = new Thread(() =>
            {
                while (!stop)
                {
                    Sample();
                    Thread.Sleep(2);
                }
            }) { IsBackground = true, Name = "peak sampler" };
            thread.Start();
        }

        void Sample()
        {
            var ws = Environment.WorkingSet;
            var heap = GC.GetTotalMemory(false);
            if (ws > peakWs) peakWs = ws;
            if (heap > peakHeap) peakHeap = heap;
        }

        public long PeakWorkingSet { get { Sample(); return peakWs; } }
        public long PeakHeap { get { Sample(); return peakHeap; } }

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }
}
