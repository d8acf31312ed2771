using System.Diagnostics;
using PandaProbe.Model;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Benchmarks;

/// <summary>Diagnostics: the reducer alone over pre-built events (no inbox, no Rx, no export), events per second.</summary>
public static class FoldProbe
{
    public static void Run()
    {
        for (var round = 0; round < 3; round++)
        {
            var events = new List<TraceEvent>();
            var now = DateTimeOffset.UtcNow;
            for (var t = 0; t < 100_000; t++)
            {
                var id = TraceId.New();
                events.Add(new TraceStarted(id, "trace", now));
                for (var s = 0; s < 10; s++)
                {
                    var sid = SpanId.New();
                    events.Add(new SpanStarted(id, sid, null, "span", SpanKind.Other, now));
                    events.Add(new SpanEnded(id, sid, now));
                }
                events.Add(new TraceEnded(id, now));
            }
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
                $"{events.Count / sw.Elapsed.TotalSeconds:N0} events/s, {1_000_000 / sw.Elapsed.TotalSeconds:N0} spans/s ({outputs} outputs), {(GC.GetAllocatedBytesForCurrentThread() - bytes) / events.Count} B/event, gen0 {GC.CollectionCount(0) - gcs} gen1 {GC.CollectionCount(1) - g1} gen2 {GC.CollectionCount(2) - g2}");
            if (round == 2) BytesByKind(events);
        }
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
        Console.WriteLine("// bytes per event by kind: " + string.Join(", ", totals.Select(kv => $"{kv.Key} {kv.Value.Bytes / kv.Value.Count} B")));
    }

    static void Unused()
    {
    }
}
