using System.Diagnostics;

namespace PandaProbe.Benchmarks;

/// <summary>
/// A diagnostic for profiling (<c>--only loop</c>): scenario 2 for both SDKs as plain loops, many rounds of
/// <see cref="Ops"/> operations with a flush after each, reporting the best and the median round in ns per operation
/// and the calling thread's bytes per operation. Steadier than a five-iteration quick job while iterating on a change.
/// </summary>
public static class LoopProbe
{
    const int Ops = 50_000, Rounds = 15;

    static Func<string>? DebugState;

    public static void Run()
    {
        using var panda = new PandaPeer(eventQueueCapacity: 1 << 21, maxQueueSize: 100_000);
        using var otel = new OtelPeer(maxQueueSize: 1 << 18);
        if (Environment.GetEnvironmentVariable("LOOP_PROFILE") is { } seconds)
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed.TotalSeconds < double.Parse(seconds))
            {
                for (var i = 0; i < Ops; i++) Work.PandaTraceWithOneSpan(panda.Client);
                panda.Flush();
            }
            return;
        }
        DebugState = () => { var h = panda.Client.Health; return $"posted {h.EventsPosted} completed {h.TracesCompleted} exported {h.Exported} pending {h.Pending} dropped {h.Dropped}"; };
        if (Environment.GetEnvironmentVariable("LOOP_TWICE") == "1") Report("PandaProbe trace + span (1)", () => Work.PandaTraceWithOneSpan(panda.Client), panda.Flush);
        Report("PandaProbe trace + span", () => Work.PandaTraceWithOneSpan(panda.Client), panda.Flush);
        if (Environment.GetEnvironmentVariable("LOOP_LEAN") == "1")
        {
            using var lean = new PandaProbeClient(new PandaProbeOptions
            {
                Enabled = true, Exporters = { new CountingTraceExporter() }, EventQueueCapacity = 1 << 21, MaxQueueSize = 100_000,
                RegisterProcessExitHandler = false, EnvironmentVariables = new Dictionary<string, string?>(),
                CompletedTraceRetention = 0, ComputeCosts = false,
                BatchSize = int.Parse(Environment.GetEnvironmentVariable("LOOP_BATCH") ?? "10"),
            });
            Report("lean trace + span", () => Work.PandaTraceWithOneSpan(lean), () => lean.FlushAsync().GetAwaiter().GetResult());
        }
        Console.WriteLine("PandaProbe dropped: " + string.Join(", ", panda.Client.Health.DroppedByReason.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")));
        Report("OTel root + child", () => Work.OtelTraceWithOneSpan(otel.Source), otel.Flush);
        Report("PandaProbe LLM span", () => Work.PandaLlmSpan(panda.Client), panda.Flush);
        Report("OTel LLM span", () => Work.OtelLlmSpan(otel.Source), otel.Flush);
        Console.WriteLine("PandaProbe dropped: " + string.Join(", ", panda.Client.Health.DroppedByReason.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")));
    }

    static void Report(string name, Action op, Action flush)
    {
        var times = new List<double>();
        double bytes = double.MaxValue;
        var gc0 = GC.CollectionCount(0); var gc1 = GC.CollectionCount(1); var gc2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        var total = Stopwatch.StartNew();
        for (var r = 0; r < Rounds; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < Ops; i++) op();
            watch.Stop();
            if (Environment.GetEnvironmentVariable("LOOP_DEBUG") == "1") Console.WriteLine($"  backlog at loop end: {DebugState?.Invoke()}");
            bytes = Math.Min(bytes, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Ops);
            flush();
            if (Environment.GetEnvironmentVariable("LOOP_DEBUG") == "1") Console.WriteLine($"round {r}: {DebugState?.Invoke()}");
            if (r >= 3) times.Add(watch.Elapsed.TotalNanoseconds / Ops);   // the first rounds warm up
        }
        times.Sort();
        Console.WriteLine($"{name,-28} best {times[0],8:N0} ns  median {times[times.Count / 2],8:N0} ns  caller {bytes,6:N0} B" +
            $"  GCs {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}" +
            $"  paused {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:N0} of {total.ElapsedMilliseconds:N0} ms");
    }
}
