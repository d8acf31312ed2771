namespace PandaProbe.Benchmarks;

/// <summary>
/// Bytes allocated by the calling thread per operation (<see cref="GC.GetAllocatedBytesForCurrentThread"/>), exact and
/// independent of background threads. BenchmarkDotNet's Allocated column counts every thread of the process, so for
/// PandaProbe it also includes part of the fold's work that happened to run during the measured iteration.
/// </summary>
public static class CallerAllocations
{
    public sealed record Row(string Scenario, double Panda, double Otel);

    const int Ops = 20_000;

    public static IReadOnlyList<Row> Measure()
    {
        using var panda = new PandaPeer(maxQueueSize: 100_000);
        using var otel = new OtelPeer(maxQueueSize: 1 << 18);
        var disabled = PandaProbeClient.Disabled.StartTrace("disabled");
        var rows = new List<Row>
        {
            new("1. disabled: span start + end", PerOp(() => Work.PandaDisabledSpan(disabled), panda), PerOp(Work.OtelDisabledSpan, otel)),
            new("2. one trace with one span", PerOp(() => Work.PandaTraceWithOneSpan(panda.Client), panda),
                PerOp(() => Work.OtelTraceWithOneSpan(otel.Source), otel)),
            new("3. LLM span (messages, model, tokens, cost)", PerOp(() => Work.PandaLlmSpan(panda.Client), panda),
                PerOp(() => Work.OtelLlmSpan(otel.Source), otel)),
        };
        foreach (var n in new[] { 10, 1_000, 100_000 })
        {
            rows.Add(new($"4. span in a trace of {n:N0}",
                PerSpan(() => Work.PandaSpansInTraces(panda.Client, n, 100_000), 100_000, panda),
                PerSpan(() => Work.OtelSpansInTraces(otel.Source, n, 100_000), 100_000, otel)));
        }
        return rows;
    }

    static double PerOp(Action op, IDisposable peer) => PerSpan(() => { for (var i = 0; i < Ops; i++) op(); }, Ops, peer);

    static double PerSpan(Action batch, int ops, IDisposable peer)
    {
        batch();                      // warm up (JIT, first-use caches)
        Flush(peer);
        var best = double.MaxValue;
        for (var round = 0; round < 2; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            batch();
            var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            best = Math.Min(best, (double)bytes / ops);
            Flush(peer);
        }
        return best;
    }

    static void Flush(IDisposable peer)
    {
        switch (peer)
        {
            case PandaPeer p: p.Flush(); break;
            case OtelPeer o: o.Flush(); break;
        }
    }
}
