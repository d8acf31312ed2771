using System.Diagnostics;
using PandaProbe.Exporters;
using PandaProbe.Pipeline;

namespace PandaProbe.Benchmarks;

/// <summary>
/// Scenario 5: end-to-end throughput, measured with plain loops (BenchmarkDotNet is per operation). A producer makes
/// traces of ten spans; throughput is spans that reached the exporter per second of wall time, so dropped spans never
/// count. A sampler thread records the peak working set and managed heap (the process-wide PeakWorkingSet64 cannot be
/// reset per run).
/// </summary>
/// <remarks>
/// Two kinds of load:
/// <list type="bullet">
/// <item><b>Flat out</b>: the producer runs as fast as it can for a fixed time, then one flush. The caller outruns
/// the export side, so the export queue fills and drops its oldest items (counted); what matters is that memory stays bounded by the
/// queue however long the load lasts, and how much still gets through.</item>
/// </list>
/// </remarks>
public static class Throughput
{
    /// <summary>One row of the report. <see cref="SpansPerSecond"/> is the median round; <see cref="First"/> the
    /// first round after start-up (fed rows only, else 0).</summary>
    public sealed record Row(string Sdk, string Exporter, string Load, int Rounds, long SpansMade, long SpansExported,
        long Dropped, double Seconds, double SpansPerSecond, double Best, double First, long PeakWorkingSetMb,
        long PeakHeapMb, long BaselineWorkingSetMb, string Gc);

    public const int SpansPerTrace = 10;
    const int CheckEvery = 25;

    public static IReadOnlyList<Row> Run(bool quick)
    {
        var rows = new List<Row>();
        var fed = quick ? 600_000 : 2_000_000;
        var rounds = quick ? 5 : 9;
        var flatOut = TimeSpan.FromSeconds(quick ? 0.5 : 2);
        var file = Path.Combine(Path.GetTempPath(), $"pandaprobe-bench-{Environment.ProcessId}.jsonl");
        try
        {
            // The first fed round runs right after start-up and is reported as such; the others follow a warm-up.
            var first = FedRound(new PandaPeer(), 100_000, dispose: true).Rate;
            WarmUp(file);
            rows.Add(Fed("no-op", () => new CountingTraceExporter(), fed, rounds, first));
            rows.Add(Fed("JSON Lines file", () => new CountingWrapper(new FileTraceExporter(file)), fed / 6, Math.Max(3, rounds / 2), 0));
        }
        finally { try { File.Delete(file); } catch (IOException) { } }
        rows.Add(PandaFlatOut(flatOut));
        rows.Add(PandaFlatOut(4 * flatOut));
        rows.Add(OtelFlatOut(flatOut));
        rows.Add(OtelFlatOut(4 * flatOut));
        return rows;
    }

    /// <summary>Diagnostics: PandaProbe's fed rounds only (for profiling).</summary>
    public static void RunPandaOnly(bool quick)
    {
        WarmUp(null);
        Fed("no-op", () => new CountingTraceExporter(), quick ? 600_000 : 2_000_000, quick ? 7 : 15, 0);
    }

    /// <summary>About a second of each load, unreported, so that the measured rounds run tier-1 code.</summary>
    static void WarmUp(string? file)
    {
        var until = Stopwatch.StartNew();
        using (var peer = new PandaPeer())
            while (until.Elapsed < TimeSpan.FromSeconds(1)) FedRound(peer, 50_000, dispose: false);
        if (file is not null)
            using (var peer = new PandaPeer(exporter: new CountingWrapper(new FileTraceExporter(file))))
                FedRound(peer, 50_000, dispose: false);
        using (var peer = new PandaPeer()) FlatOutLoop(() => Work.PandaSpansInTraces(peer.Client, SpansPerTrace, SpansPerTrace), TimeSpan.FromSeconds(0.3));
        using (var peer = new OtelPeer()) FlatOutLoop(() => Work.OtelSpansInTraces(peer.Source, SpansPerTrace, SpansPerTrace), TimeSpan.FromSeconds(0.5));
    }

    static Row Fed(string exporterName, Func<ITraceExporter> exporter, int spans, int rounds, double first)
    {
        var baseline = Settle();
        using var peer = new PandaPeer(exporter: exporter());
        using var sampler = new PeakSampler();
        var results = new List<(double Rate, double Seconds, long Exported, string Gc)>();
        for (var r = 0; r < rounds; r++) results.Add(FedRound(peer, spans, dispose: false));
        var sorted = results.OrderBy(x => x.Rate).ToList();
        var median = sorted[sorted.Count / 2];
        var row = new Row("PandaProbe", exporterName, $"{spans:N0} spans per round, fed (export queue kept at most half full)", rounds,
            (long)spans * rounds, results.Sum(x => x.Exported), peer.Client.Health.Dropped, median.Seconds, median.Rate,
            sorted[^1].Rate, first, sampler.PeakWorkingSet / (1 << 20), sampler.PeakHeap / (1 << 20), baseline / (1 << 20), median.Gc);
        Console.WriteLine($"// throughput: {row}");
        return row;
    }

    static (double Rate, double Seconds, long Exported, string Gc) FedRound(PandaPeer peer, int spans, bool dispose)
    {
        try
        {
            var before = Exported(peer);
            var gc = GcWindow.Start();
            var sw = Stopwatch.StartNew();
            var traces = spans / SpansPerTrace;
            var client = peer.Client;
            for (var t = 1; t <= traces; t++)
            {
                Work.PandaSpansInTraces(client, SpansPerTrace, SpansPerTrace);
                if (t % CheckEvery == 0) WaitForRoom(client);
            }
            peer.Flush();
            sw.Stop();
            var exported = Exported(peer) - before;
            var gcText = gc.Stop(sw.Elapsed);
            var rate = exported / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"// fed round: {rate,12:N0} spans/s, {exported:N0} exported, {gcText}");
            return (rate, sw.Elapsed.TotalSeconds, exported, gcText);
        }
        finally { if (dispose) peer.Dispose(); }
    }

    /// <summary>Waits while more than half the export queue is taken.</summary>
    static void WaitForRoom(PandaProbeClient client)
    {
        while (client.Health is var h && h.Pending > PipelineOptions.DefaultMaxQueueSize / 2)
            Thread.Sleep(0);
    }

    static long Exported(PandaPeer peer) => peer.Exporter is CountingWrapper w ? w.Spans : peer.ExportedSpans;

    static Row PandaFlatOut(TimeSpan duration)
    {
        var baseline = Settle();
        using var peer = new PandaPeer();
        using var sampler = new PeakSampler();
        var gc = GcWindow.Start();
        var sw = Stopwatch.StartNew();
        var traces = FlatOutLoop(() => Work.PandaSpansInTraces(peer.Client, SpansPerTrace, SpansPerTrace), duration);
        peer.Flush();
        sw.Stop();
        var exported = peer.ExportedSpans;
        var h = peer.Client.Health;
        var row = new Row("PandaProbe", "no-op", $"flat out for {duration.TotalSeconds:0.#} s", 1, traces * SpansPerTrace,
            exported, h.Dropped, sw.Elapsed.TotalSeconds, exported / sw.Elapsed.TotalSeconds, 0, 0,
            sampler.PeakWorkingSet / (1 << 20), sampler.PeakHeap / (1 << 20), baseline / (1 << 20), gc.Stop(sw.Elapsed));
        Console.WriteLine($"// throughput: {row}");
        return row;
    }

    static Row OtelFlatOut(TimeSpan duration)
    {
        var baseline = Settle();
        using var peer = new OtelPeer();      // OpenTelemetry's defaults: queue 2048, batch 512, 5 s delay
        using var sampler = new PeakSampler();
        var gc = GcWindow.Start();
        var sw = Stopwatch.StartNew();
        var traces = FlatOutLoop(() => Work.OtelSpansInTraces(peer.Source, SpansPerTrace, SpansPerTrace), duration);
        peer.Flush();
        sw.Stop();
        var spans = traces * SpansPerTrace;
        var made = spans + traces;       // child activities plus one root activity per trace
        var exported = peer.Exporter.Exported;
        var exportedSpans = exported * SpansPerTrace / (SpansPerTrace + 1);
        var row = new Row("OpenTelemetry", "no-op", $"flat out for {duration.TotalSeconds:0.#} s", 1, spans, exportedSpans,
            made - exported, sw.Elapsed.TotalSeconds, exportedSpans / sw.Elapsed.TotalSeconds, 0, 0,
            sampler.PeakWorkingSet / (1 << 20), sampler.PeakHeap / (1 << 20), baseline / (1 << 20), gc.Stop(sw.Elapsed));
        Console.WriteLine($"// throughput: {row}");
        return row;
    }

    /// <summary>Runs <paramref name="trace"/> until <paramref name="duration"/> has passed; returns the traces made.</summary>
    static long FlatOutLoop(Action trace, TimeSpan duration)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long traces = 0;
        do
        {
            trace();
            traces++;
        }
        while (Stopwatch.GetTimestamp() < end);
        return traces;
    }

    static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Environment.WorkingSet;
    }

    /// <summary>Garbage collections by generation and the share of wall time the process was paused for them.</summary>
    readonly record struct GcWindow(int Gen0, int Gen1, int Gen2, TimeSpan Pause)
    {
        public static GcWindow Start() =>
            new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

        public string Stop(TimeSpan elapsed) =>
            $"GCs {GC.CollectionCount(0) - Gen0}/{GC.CollectionCount(1) - Gen1}/{GC.CollectionCount(2) - Gen2}, " +
            $"paused {(GC.GetTotalPauseDuration() - Pause) / elapsed:P0}";
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
