using System.Diagnostics.Tracing;

namespace PandaProbe.Benchmarks;

/// <summary>
/// Which types a workload allocates, sampled in process from the runtime's allocation ticks (one event per ~100 KB
/// allocated, naming the type that crossed the mark): <c>--only alloc-types paced|agent-loop|ingestion [caller]</c>. A diagnostic for
/// finding what to cut, not a measurement to report.
/// </summary>
public sealed class AllocationTypes : EventListener
{
    readonly Dictionary<string, long> bytes = new();
    long total;
    volatile bool on;
    long onlyThread = -1;   // an OS thread id: count that thread's allocations only (the caller's)

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "gettid")]
    static extern int GetTid();

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        if (onlyThread >= 0 && e.OSThreadId != onlyThread) return;
        var name = e.PayloadNames!.IndexOf("TypeName") is var i and >= 0 ? e.Payload[i] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var j and >= 0 ? Convert.ToInt64(e.Payload[j]) : 100_000;
        lock (bytes)
        {
            bytes[name] = bytes.GetValueOrDefault(name) + amount;
            total += amount;
        }
    }

    public static void Run(string workload, bool callerOnly = false)
    {
        Action unit = workload switch
        {
            "agent-loop" => AgentLoopProbe.MiddlewareUnit(),
            "ingestion" => AgentLoopProbe.IngestionUnit(),
            _ => PacedUnit(),
        };
        for (var i = 0; i < 20_000; i++) unit();
        using var listener = new AllocationTypes();
        if (callerOnly) listener.onlyThread = OperatingSystem.IsLinux() ? GetTid() : -1;
        listener.on = true;
        const int N = 50_000;
        for (var i = 0; i < N; i++) unit();
        listener.on = false;
        lock (listener.bytes)
        {
            Console.WriteLine($"{workload}: sampled {listener.total / N:N0} B per unit ({(listener.onlyThread >= 0 ? "the caller's thread" : "all threads")})");
            foreach (var (name, b) in listener.bytes.OrderByDescending(kv => kv.Value).Take(40))
                Console.WriteLine($"{b / (double)N,10:N1} B  {100.0 * b / listener.total,5:N1} %  {name}");
        }
    }

    static Action PacedUnit()
    {
        var peer = new PandaPeer();
        var n = 0;
        return () =>
        {
            PacedProbe.PandaOp(peer.Client);
            if (++n % 500 == 0) peer.Flush();
        };
    }
}
