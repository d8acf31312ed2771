using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PandaProbe.Benchmarks;

/// <summary>
/// Where the CPU of the paced shape goes, thread by thread (<c>--only export-side</c>): the calling thread, the SDK's
/// export thread, and every other thread (thread pool, timers, the collector), per operation. 100,000 operations a round
/// in chunks of 500, flushed between chunks, after 3 s of warm-up; 7 rounds, medians and ranges. For comparing two
/// builds of the export side without OpenTelemetry's half of the noise.
/// </summary>
public static class ExportSideProbe
{
    const int Ops = 100_000, Chunk = 500, Rounds = 7;

    [DllImport("libc", EntryPoint = "gettid")]
    static extern int GetTid();

    public static void Run()
    {
        using var peer = new PandaPeer();
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(3))
        {
            for (var i = 0; i < Chunk; i++) PacedProbe.PandaOp(peer.Client);
            peer.Flush();
        }
        var caller = new List<double>();
        var export = new List<double>();
        var other = new List<double>();
        var me = GetTid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var r = 0; r < Rounds; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Thread.Sleep(200);
            var before = ProcessCpu.Threads();
            var process = ProcessCpu.Now();
            for (var done = 0; done < Ops; done += Chunk)
            {
                for (var i = 0; i < Chunk; i++) PacedProbe.PandaOp(peer.Client);
                peer.Flush();
            }
            var total = (ProcessCpu.Now() - process).TotalNanoseconds;
            var after = ProcessCpu.Threads();
            double Used(Func<string, string, bool> which) => after.Where(kv => which(kv.Key, kv.Value.Name))
                .Sum(kv => kv.Value.Nanoseconds - (before.TryGetValue(kv.Key, out var b) ? b.Nanoseconds : 0));
            var c = Used((id, _) => id == me);
            var e = Used((_, name) => name.StartsWith("PandaProbe", StringComparison.Ordinal));
            caller.Add(c / Ops);
            export.Add(e / Ops);
            other.Add((total - c - e) / Ops);
            Console.WriteLine($"// export-side round {r + 1}: caller {c / Ops:N0} ns, export thread {e / Ops:N0} ns, other threads {(total - c - e) / Ops:N0} ns per op");
        }
        static string Line(List<double> v) { var s = v.Order().ToArray(); return $"{s[s.Length / 2]:N0} ({s[0]:N0}–{s[^1]:N0})"; }
        Console.WriteLine($"| caller thread | {Line(caller)} |");
        Console.WriteLine($"| export thread | {Line(export)} |");
        Console.WriteLine($"| other threads | {Line(other)} |");
    }
}
