using System.Diagnostics;
using PandaProbe.Model;
using PandaProbe.Pipeline;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Benchmarks;

/// <summary>
/// Diagnostics: the reducer alone over pre-built events (no inbox, no Rx, no export), events per second and bytes
/// per event (also by kind of event); then the pipeline's consumer side alone (inbox, Rx fold, routing, export to a
/// counting exporter) over the same pre-built events, posted up front.
/// </summary>
public static class FoldProbe
{
    const int Traces = 80_000, SpansPerTrace = 10;

    public static void Run()
    {
        if (Environment.GetEnvironmentVariable("FOLD_PIPELINE_ONLY") is { } rounds)
        {
            // For a profiler: the pipeline's consumer side only, over events built once.
            var built = Build(PipelineTraces);
            for (var r = 0; r < int.Parse(rounds, System.Globalization.CultureInfo.InvariantCulture); r++) PipelineAlone(built);
            return;
        }
        for (var round = 0; round < 3; round++)
        {
            var events = Build();
            var state = TraceState.Empty;
            var gcs = GC.CollectionCount(0); var g1 = GC.CollectionCount(1); var g2 = GC.CollectionCount(2);
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            long outputs = 0;
            foreach (var e in events)
            {
                var step = TraceReducer.Apply(state, e);
                state = step.State;
                outputs += step.OutputCount;
            }
            sw.Stop();
            Console.WriteLine($"// reducer alone: {events.Count:N0} events in {sw.Elapsed.TotalMilliseconds:N0} ms = " +
                $"{events.Count / sw.Elapsed.TotalSeconds:N0} events/s, {Traces * SpansPerTrace / sw.Elapsed.TotalSeconds:N0} spans/s ({outputs} outputs), {(GC.GetAllocatedBytesForCurrentThread() - bytes) / events.Count} B/event, gen0 {GC.CollectionCount(0) - gcs} gen1 {GC.CollectionCount(1) - g1} gen2 {GC.CollectionCount(2) - g2}");
            if (round == 2) BytesByKind(events);
        }
        for (var round = 0; round < 3; round++) PipelineAlone(Build(PipelineTraces));
    }

    /// <summary>Traces posted up front to the pipeline: every event fits the largest inbox.</summary>
    const int PipelineTraces = PipelineOptions.MaxEventQueueCapacity / (2 + 2 * SpansPerTrace);

    static List<TraceEvent> Build(int traces = Traces)
    {
        var events = new List<TraceEvent>(traces * (2 + 2 * SpansPerTrace));
        var now = DateTimeOffset.UtcNow;
        for (var t = 0; t < traces; t++)
        {
            var id = TraceId.New();
            events.Add(new TraceStarted(id, "trace", now));
            for (var s = 0; s < SpansPerTrace; s++)
            {
                var sid = SpanId.New();
                events.Add(new SpanStarted(id, sid, null, "span", SpanKind.Other, now));
                events.Add(new SpanEnded(id, sid, now));
            }
            events.Add(new TraceEnded(id, now));
        }
        return events;
    }

    /// <summary>Bytes the reducer allocates per event, by kind of event (a second fold over the same events).</summary>
    static void BytesByKind(List<TraceEvent> events)
    {
        var totals = new Dictionary<string, (long Bytes, long Count)>();
        var state = TraceState.Empty;
        foreach (var e in events)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            state = TraceReducer.Apply(state, e).State;
            var used = GC.GetAllocatedBytesForCurrentThread() - before;
            var kind = e.GetType().Name;
            var (b, c) = totals.GetValueOrDefault(kind);
            totals[kind] = (b + used, c + 1);
        }
        Console.WriteLine("// reducer bytes per event by kind: " + string.Join(", ", totals.Select(kv => $"{kv.Key} {kv.Value.Bytes / kv.Value.Count} B")));
    }

    /// <summary>
    /// Every event posted at once (the inbox is sized to hold them), then timed until the flush reports everything
    /// exported: the consumer's cost per event, since posting is far cheaper than folding.
    /// </summary>
    static void PipelineAlone(List<TraceEvent> events)
    {
        var exporter = new CountingTraceExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 512, maxQueueSize: 1_000_000,
            eventQueueCapacity: PipelineOptions.MaxEventQueueCapacity));
        var sw = Stopwatch.StartNew();
        foreach (var e in events) pipeline.Post(e);
        var posted = sw.Elapsed;
        var flushed = pipeline.FlushAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        sw.Stop();
        pipeline.ShutdownAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        Console.WriteLine($"// pipeline alone (events posted up front in {posted.TotalMilliseconds:N0} ms): {exporter.Spans:N0} spans exported in " +
            $"{sw.Elapsed.TotalMilliseconds:N0} ms = {exporter.Spans / sw.Elapsed.TotalSeconds:N0} spans/s, {events.Count / sw.Elapsed.TotalSeconds:N0} events/s (flushed in time: {flushed.Completed})");
    }
}
