using System.Diagnostics;
using System.Globalization;

namespace PandaProbe.Benchmarks;

/// <summary>
/// <c>--only flush-cost</c>: what a flush and a paced burst cost with one client kept for six rounds (the traffic
/// scenario starts a new client per round, so its first-use costs stay in every round). Per round: the process CPU and
/// wall time of an empty <c>FlushAsync</c>; bursts of 500 LLM units each followed by a flush (CPU, wall and caller
/// time per trace); the same 100,000 units with one flush at the end. Round 0 carries the JIT's first compilations.
/// </summary>
static class FlushCost
{
    public static void Run()
    {
        const int Flushes = 2_000, Bursts = 200, Burst = 500, Units = Bursts * Burst;
        for (var r = 0; r < 6; r++)
        {
            using var peer = new PandaPeer();
            for (var i = 0; i < 1_000; i++) Work.PandaLlmSpan(peer.Client);
            peer.Flush();
            Thread.Sleep(200);

            var cpu = ProcessCpu.Now();
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < Flushes; i++) peer.Flush();
            var emptyCpu = (ProcessCpu.Now() - cpu).TotalMicroseconds / Flushes;
            var emptyWall = wall.Elapsed.TotalMicroseconds / Flushes;

            var caller = new Stopwatch();
            cpu = ProcessCpu.Now();
            wall.Restart();
            for (var b = 0; b < Bursts; b++)
            {
                caller.Start();
                for (var i = 0; i < Burst; i++) Work.PandaLlmSpan(peer.Client);
                caller.Stop();
                peer.Flush();
            }
            var burstCpu = (ProcessCpu.Now() - cpu).TotalMicroseconds / Units;
            var burstWall = wall.Elapsed.TotalMicroseconds / Units;
            var burstCaller = caller.Elapsed.TotalMicroseconds / Units;

            caller.Restart();
            cpu = ProcessCpu.Now();
            for (var i = 0; i < Units; i++) Work.PandaLlmSpan(peer.Client);
            caller.Stop();
            peer.Flush();
            var onceCpu = (ProcessCpu.Now() - cpu).TotalMicroseconds / Units;

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {r}: empty flush CPU {emptyCpu:N1} µs, wall {emptyWall:N1} µs | bursts of {Burst} + flush: CPU {burstCpu:N2}, wall {burstWall:N2}, caller {burstCaller:N2} µs per trace | one flush at the end: CPU {onceCpu:N2}, caller {caller.Elapsed.TotalMicroseconds / Units:N2} µs per trace"));
        }
    }
}
