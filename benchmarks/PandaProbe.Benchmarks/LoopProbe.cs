using System.Diagnostics;

namespace PandaProbe.Benchmarks;

/// <summary>
/// A diagnostic for profiling (<c>--only loop</c>): scenarios 2 and 3 for both SDKs as plain loops, rounds of
/// <see cref="Ops"/> operations with a flush after each, reporting the best and the median measured round in ns per
/// operation, the calling thread's bytes per operation, and the garbage collections and GC pause time of the whole
/// scenario. Steadier than a five-iteration quick job while iterating on a change, and it shows what the quick job
/// cannot: how much of the time the process was paused for GC.
/// </summary>
/// <remarks>
/// <c>LOOP_DEBUG=1</c> prints the pipeline's counters after every round (how far the fold lagged when the loop
/// ended); <c>LOOP_PROFILE=seconds</c> runs only PandaProbe's scenario 2 (scenario 3 with <c>LOOP_PROFILE_LLM=1</c>) for
/// that long, for a profiler to attach.
/// </remarks>
public static class LoopProbe
{
    const int Ops = 25_000, Rounds = 15, WarmupRounds = 3;

    public static void Run()
    {
        using var panda = new PandaPeer(maxQueueSize: 100_000);
        using var otel = new OtelPeer(maxQueueSize: 1 << 18);
        Func<string> counters = () =>
        {
            var h = panda.Client.Health;
            return $"posted {h.EventsPosted:N0} completed {h.TracesCompleted:N0} exported {h.Exported:N0} pending {h.Pending:N0} dropped {h.Dropped:N0}";
        };
        if (Environment.GetEnvironmentVariable("LOOP_PROFILE") is { } seconds)
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed.TotalSeconds < double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture))
            {
                if (Environment.GetEnvironmentVariable("LOOP_PROFILE_LLM") == "1")
                    for (var i = 0; i < Ops; i++) Work.PandaLlmSpan(panda.Client);
                else
                    for (var i = 0; i < Ops; i++) Work.PandaTraceWithOneSpan(panda.Client);
                panda.Flush();
            }
            return;
        }
        var debug = Environment.GetEnvironmentVariable("LOOP_DEBUG") == "1" ? counters : null;
        Report("PandaProbe trace + span", () => Work.PandaTraceWithOneSpan(panda.Client), panda.Flush, debug);
        Report("OTel root + child", () => Work.OtelTraceWithOneSpan(otel.Source), otel.Flush, null);
        Report("PandaProbe LLM span", () => Work.PandaLlmSpan(panda.Client), panda.Flush, debug);
        Report("OTel LLM span", () => Work.OtelLlmSpan(otel.Source), otel.Flush, null);
        Console.WriteLine("PandaProbe drops: " + string.Join(", ", panda.Client.Health.DroppedByReason
            .Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value:N0}").DefaultIfEmpty("none")));
    }

    static void Report(string name, Action op, Action flush, Func<string>? debug)
    {
        for (var r = 0; r < WarmupRounds; r++)   // JIT tiers and first-use costs stay out of every figure below
        {
            for (var i = 0; i < Ops; i++) op();
            flush();
        }
        var times = new List<double>();
        var bytes = double.MaxValue;
        var gc0 = GC.CollectionCount(0);
        var gc1 = GC.CollectionCount(1);
        var gc2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var total = Stopwatch.StartNew();
        for (var r = 0; r < Rounds - WarmupRounds; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Ops; i++) op();
            watch.Stop();
            bytes = Math.Min(bytes, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Ops);
            if (debug is not null) Console.WriteLine($"  round {r}, loop ended: {debug()}");
            flush();
            times.Add(watch.Elapsed.TotalNanoseconds / Ops);
        }
        times.Sort();
        Console.WriteLine($"{name,-24} best {times[0],7:N0} ns  median {times[times.Count / 2],7:N0} ns  caller {bytes,6:N0} B" +
            $"  GCs gen0+ {GC.CollectionCount(0) - gc0}, gen1+ {GC.CollectionCount(1) - gc1}, gen2 {GC.CollectionCount(2) - gc2}" +
            $"  paused {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:N0} of {total.ElapsedMilliseconds:N0} ms");
    }
}
