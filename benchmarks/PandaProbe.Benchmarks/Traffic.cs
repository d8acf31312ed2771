using System.Diagnostics;

namespace PandaProbe.Benchmarks;

/// <summary>
/// What users pay under real traffic, side by side with OpenTelemetry .NET in the same process, as plain loops (a
/// BenchmarkDotNet operation is always saturated). The unit of work is a trace with one LLM span (model, token usage,
/// cost, four messages in and one out: <see cref="Work.PandaLlmSpan"/> and <see cref="Work.OtelLlmSpan"/>), exported
/// to a no-op exporter on both sides with default batching settings.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Sporadic</b>: one unit every 2 ms and every 20 ms (the caller sleeps in between). Whole-process CPU per
/// trace over the window, read after the background work has drained (a flush at the end), minus the same loop's CPU
/// with no tracing at all; and the calling thread's time per trace. Phases alternate (empty, PandaProbe,
/// OpenTelemetry) and repeat; the median of the rounds is reported.</item>
/// <item><b>Paced saturation</b>: bursts of 500 units back to back, the background drained (flushed) between
/// bursts: calling-thread time and whole-process CPU per trace.</item>
/// <item><b>Flood</b>: default settings, one thread flat out for 2 s: traces made, exported, refused and dropped on
/// each side (a figure bought by refusing or dropping traces is not a speed).</item>
/// <item><b>Idle</b>: a started client (after one trace) and no traffic for 10 s: the CPU it used.</item>
/// </list>
/// </remarks>
public static class Traffic
{
    /// <summary>One row of the report; times in microseconds per trace.</summary>
    /// <param name="Scheduled">Actions scheduled on PandaProbe's export side during the measured window (idle rows; -1 elsewhere).</param>
    public sealed record Row(string Scenario, string Sdk, long Traces, double CallerUs, double CpuUs, long Exported,
        long Refused, long Dropped, string Note, long Scheduled = -1);

    public static IReadOnlyList<Row> Run(bool quick)
    {
        var rows = new List<Row>();
        WarmUp();
        var rounds = quick ? 3 : 5;
        var sporadicRounds = 5;
        // TRAFFIC=sporadic|paced|flood|idle runs one part (for diagnosis).
        var only = Environment.GetEnvironmentVariable("TRAFFIC");
        bool Runs(string part) => only is null || only == part;
        if (Runs("sporadic")) rows.AddRange(Sporadic(TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(quick ? 2 : 4), sporadicRounds));
        if (Runs("sporadic")) rows.AddRange(Sporadic(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(quick ? 3 : 8), sporadicRounds));
        if (Runs("paced")) rows.AddRange(Paced(quick ? 200 : 600, rounds));
        if (Runs("flood")) rows.AddRange(Flood(TimeSpan.FromSeconds(2)));
        if (Runs("idle")) rows.AddRange(Idle(TimeSpan.FromSeconds(quick ? 4 : 10)));
        foreach (var r in rows) Console.WriteLine($"// traffic: {r}");
        return rows;
    }

    /// <summary>Runs both units for a while so the measured phases run optimised code.</summary>
    static void WarmUp()
    {
        using (var panda = new PandaPeer())
        {
            for (var i = 0; i < 50_000; i++) Work.PandaLlmSpan(panda.Client);
            panda.Flush();
        }
        using (var otel = new OtelPeer())
        {
            for (var i = 0; i < 50_000; i++)
            {
                Work.OtelLlmSpan(otel.Source);
                if (i % 1000 == 0) otel.Flush();
            }
            otel.Flush();
        }
        Settle();
    }

    /// <summary>Lets earlier work finish and collects, so a phase starts from the same place.</summary>
    static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Thread.Sleep(200);
    }

    sealed class Side(string sdk, Func<(Action Unit, Action Flush, Func<long> Exported, IDisposable Owner)> start)
    {
        public string Sdk { get; } = sdk;
        public (Action Unit, Action Flush, Func<long> Exported, IDisposable Owner) Start() => start();
    }

    static readonly Side Panda = new("PandaProbe", () =>
    {
        var peer = new PandaPeer();
        return (() => Work.PandaLlmSpan(peer.Client), peer.Flush, () => ((CountingTraceExporter)peer.Exporter).Traces, peer);
    });

    static readonly Side Otel = new("OpenTelemetry", () =>
    {
        var peer = new OtelPeer();
        return (() => Work.OtelLlmSpan(peer.Source), peer.Flush, () => peer.Exporter.Exported / 2, peer);
    });

    static readonly Side Empty = new("no tracing", () => (static () => { }, static () => { }, static () => 0, new NoOwner()));

    sealed class NoOwner : IDisposable { public void Dispose() { } }

    /// <summary>One phase of paced traffic: (caller time, process CPU, traces, exported).</summary>
    static (TimeSpan Caller, TimeSpan Cpu, long Traces, long Exported) PacedPhase(Side side, TimeSpan every, TimeSpan length)
    {
        var (unit, flush, exported, owner) = side.Start();
        using (owner)
        {
            for (var i = 0; i < 20; i++) unit();   // the client's first-use costs stay out of the window
            flush();
            Settle();
            var before = exported();
            var caller = new Stopwatch();
            var wall = Stopwatch.StartNew();
            var cpu = ProcessCpu.Now();
            long traces = 0;
            var sleep = (int)every.TotalMilliseconds;
            while (wall.Elapsed < length)
            {
                caller.Start();
                unit();
                caller.Stop();
                traces++;
                Thread.Sleep(sleep);
            }
            flush();
            var used = ProcessCpu.Now() - cpu;
            return (caller.Elapsed, used, traces, exported() - before);
        }
    }

    static IEnumerable<Row> Sporadic(TimeSpan every, TimeSpan length, int rounds)
    {
        var scenario = $"sporadic, one trace every {every.TotalMilliseconds:0} ms";
        var empty = new List<double>();
        var results = new Dictionary<Side, List<(double Caller, double Cpu, long Traces, long Exported)>> { [Panda] = [], [Otel] = [] };
        for (var r = 0; r < rounds; r++)
        {
            var e = PacedPhase(Empty, every, length);
            empty.Add(e.Cpu.TotalMicroseconds / e.Traces);
            foreach (var side in new[] { Panda, Otel })
            {
                var p = PacedPhase(side, every, length);
                results[side].Add((p.Caller.TotalMicroseconds / p.Traces, p.Cpu.TotalMicroseconds / p.Traces, p.Traces, p.Exported));
                Console.WriteLine($"// {scenario}, round {r + 1}: {side.Sdk} caller {p.Caller.TotalMicroseconds / p.Traces:N1} µs, CPU {p.Cpu.TotalMicroseconds / p.Traces:N1} µs per trace (empty loop {empty[^1]:N1} µs)");
            }
        }
        // The median of the rounds minus the median of the empty loop's rounds: one noisy phase moves neither.
        var baseline = Median(empty);
        foreach (var side in new[] { Panda, Otel })
        {
            var list = results[side];
            yield return new Row(scenario, side.Sdk, list.Sum(x => x.Traces), Median(list.Select(x => x.Caller)),
                Median(list.Select(x => x.Cpu)) - baseline, list.Sum(x => x.Exported), 0, list.Sum(x => x.Traces - x.Exported),
                $"{rounds} rounds of {length.TotalSeconds:0} s; median CPU minus the empty loop's median ({baseline:N1} µs per iteration); CPU rounds before that: {string.Join(", ", list.Select(x => x.Cpu.ToString("N1", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    static IEnumerable<Row> Paced(int bursts, int rounds)
    {
        const int Burst = 500;
        foreach (var side in new[] { Panda, Otel })
        {
            var callers = new List<double>();
            var cpus = new List<double>();
            long made = 0, exportedTotal = 0;
            for (var r = 0; r < rounds; r++)
            {
                var (unit, flush, exported, owner) = side.Start();
                using (owner)
                {
                    for (var i = 0; i < 2 * Burst; i++) unit();
                    flush();
                    Settle();
                    var before = exported();
                    var caller = new Stopwatch();
                    var cpu = ProcessCpu.Now();
                    for (var b = 0; b < bursts; b++)
                    {
                        caller.Start();
                        for (var i = 0; i < Burst; i++) unit();
                        caller.Stop();
                        flush();
                    }
                    var used = ProcessCpu.Now() - cpu;
                    var n = (long)bursts * Burst;
                    made += n;
                    exportedTotal += exported() - before;
                    callers.Add(caller.Elapsed.TotalMicroseconds / n);
                    cpus.Add(used.TotalMicroseconds / n);
                }
            }
            yield return new Row($"paced saturation, bursts of {Burst} drained between bursts", side.Sdk, made, Median(callers),
                Median(cpus), exportedTotal, 0, made - exportedTotal,
                $"{rounds} rounds of {bursts} bursts; CPU rounds: {string.Join(", ", cpus.Select(c => c.ToString("N2", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    static IEnumerable<Row> Flood(TimeSpan length)
    {
        {
            Settle();
            using var peer = new PandaPeer();
            var (made, caller, cpu) = FlatOut(() => Work.PandaLlmSpan(peer.Client), length);
            peer.Flush();
            var h = peer.Client.Health;
            var exported = ((CountingTraceExporter)peer.Exporter).Traces;
            var refused = h.DroppedByReason.Where(kv => kv.Key is Pipeline.DropReason.AfterShutdown or Pipeline.DropReason.Rejected).Sum(kv => kv.Value);
            yield return new Row($"flood, default settings, one thread flat out for {length.TotalSeconds:0} s", "PandaProbe", made,
                caller, cpu, exported, refused, h.Dropped - refused,
                $"dropped: {string.Join(", ", h.DroppedByReason.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value:N0}").DefaultIfEmpty("none"))}");
        }
        {
            Settle();
            using var peer = new OtelPeer();
            var (made, caller, cpu) = FlatOut(() => Work.OtelLlmSpan(peer.Source), length);
            peer.Flush();
            var exported = peer.Exporter.Exported / 2;
            yield return new Row($"flood, default settings, one thread flat out for {length.TotalSeconds:0} s", "OpenTelemetry", made,
                caller, cpu, exported, 0, made - exported, "dropped: traces whose activities never reached the exporter (queue of 2,048 full)");
        }
    }

    static (long Made, double CallerUs, double CpuUs) FlatOut(Action unit, TimeSpan length)
    {
        var cpu = ProcessCpu.Now();
        var wall = Stopwatch.StartNew();
        long made = 0;
        while (wall.Elapsed < length)
        {
            for (var i = 0; i < 100; i++) unit();
            made += 100;
        }
        var caller = wall.Elapsed.TotalMicroseconds / made;
        return (made, caller, (ProcessCpu.Now() - cpu).TotalMicroseconds / made);
    }

    /// <summary>
    /// Windows of idleness, alternating (PandaProbe, OpenTelemetry) three times; each client made one trace and was
    /// flushed first. What a started client costs when idle is the CPU of its own background thread (PandaProbe's export
    /// thread, OpenTelemetry's batch export thread), read per thread from <c>/proc/self/task</c>; the caller does
    /// nothing. The process as a whole is shown beside it: its own background (the JIT tiering methods up, the
    /// collector, timers) moves a window by milliseconds to tens of milliseconds, far above the budget. The actions
    /// scheduled on PandaProbe's export side are counted too.
    /// </summary>
    static IEnumerable<Row> Idle(TimeSpan length)
    {
        var per10 = 10 / length.TotalSeconds;
        (double Sdk, double Process, string Busiest) Window(string threadPrefix)
        {
            Settle();
            var threads = ProcessCpu.Threads();
            var cpu = ProcessCpu.Now();
            Thread.Sleep(length);
            var process = (ProcessCpu.Now() - cpu).TotalMicroseconds * per10;
            var after = ProcessCpu.Threads();
            return (ProcessCpu.UsedBy(threads, after, threadPrefix) * per10, process, ProcessCpu.Busiest(threads, after));
        }
        var (panda, otel) = (new List<(double Sdk, double Process, string Busiest)>(), new List<(double Sdk, double Process, string Busiest)>());
        long scheduled = 0;
        for (var round = 0; round < 3; round++)
        {
            var scheduler = new CountingScheduler(new Pipeline.ExportScheduler());
            using (var peer = new PandaPeer(scheduler: scheduler))
            {
                Work.PandaLlmSpan(peer.Client);
                peer.Flush();
                var before = scheduler.Count;
                panda.Add(Window("PandaProbe exp"));   // the export thread ("PandaProbe export", 15 characters kept)
                scheduled += scheduler.Count - before;
            }
            using (var peer = new OtelPeer())
            {
                Work.OtelLlmSpan(peer.Source);
                peer.Flush();
                otel.Add(Window("OpenTelemetry-B"));   // the batch export thread
            }
        }
        string Note(List<(double Sdk, double Process, string Busiest)> w) =>
            $"3 windows of {length.TotalSeconds:0} s, per 10 s; the SDK's thread in each: {string.Join(", ", w.Select(x => (x.Sdk / 1000).ToString("N3", System.Globalization.CultureInfo.InvariantCulture)))} ms; the whole process: {string.Join(", ", w.Select(x => (x.Process / 1000).ToString("N1", System.Globalization.CultureInfo.InvariantCulture)))} ms (busiest threads of the first window: {w[0].Busiest})";
        yield return new Row("idle client for 10 s", "PandaProbe", 1, 0, Median(panda.Select(x => x.Sdk)), 1, 0, 0,
            Note(panda) + $"; actions scheduled on the export side in all its windows: {scheduled}", scheduled);
        yield return new Row("idle client for 10 s", "OpenTelemetry", 1, 0, Median(otel.Select(x => x.Sdk)), 1, 0, 0, Note(otel));
    }

    /// <summary>An <see cref="System.Reactive.Concurrency.IScheduler"/> that counts what is scheduled on the one it wraps.</summary>
    sealed class CountingScheduler(System.Reactive.Concurrency.IScheduler inner) : System.Reactive.Concurrency.IScheduler
    {
        long count;
        public long Count => Interlocked.Read(ref count);
        public DateTimeOffset Now => inner.Now;
        public IDisposable Schedule<TState>(TState state, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action)
        {
            Interlocked.Increment(ref count);
            return inner.Schedule(state, action);
        }
        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action)
        {
            Interlocked.Increment(ref count);
            return inner.Schedule(state, dueTime, action);
        }
        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<System.Reactive.Concurrency.IScheduler, TState, IDisposable> action)
        {
            Interlocked.Increment(ref count);
            return inner.Schedule(state, dueTime, action);
        }
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
