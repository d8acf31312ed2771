using BenchmarkDotNet.Attributes;

namespace PandaProbe.Benchmarks;

// Each enabled scenario runs a loop of Ops operations per invocation (OperationsPerInvoke, so the reported time and
// allocation are per operation) and flushes both SDKs after every iteration: the background work (the PandaProbe
// fold, OpenTelemetry's batch export) then keeps up instead of silently dropping, and the ledger proves it.
// Queues are sized so one iteration's work fits: PandaProbe's export queue and OpenTelemetry's batch queue.

/// <summary>Scenario 1: tracing disabled. PandaProbe's disabled client vs an ActivitySource nobody listens to.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("1-disabled")]
public class DisabledSpan
{
    TraceContext trace = null!;

    [GlobalSetup]
    public void Setup() => trace = PandaProbeClient.Disabled.StartTrace("disabled");

    [Benchmark(Baseline = true, Description = "OTel: StartActivity, no listener")]
    public void OpenTelemetry() => Work.OtelDisabledSpan();

    [Benchmark(Description = "PandaProbe: disabled span")]
    public void PandaProbe() => Work.PandaDisabledSpan(trace);
}

/// <summary>Shared plumbing of the enabled scenarios.</summary>
public abstract class EnabledBench
{
    protected const int OtelQueue = 1 << 18;
    protected PandaPeer Panda = null!;
    protected OtelPeer Otel = null!;
    protected long PandaInvocations, OtelInvocations;

    [GlobalSetup]
    public void Setup()
    {
        Panda = new PandaPeer(maxQueueSize: 100_000);
        Otel = new OtelPeer(maxQueueSize: OtelQueue);
    }

    [IterationCleanup]
    public void FlushBoth()
    {
        Panda.Flush();
        Otel.Flush();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var type = GetType();      // the in-process toolchain runs an emitted subclass: report our own class's name
        while (type.BaseType is not null && type.Assembly != typeof(EnabledBench).Assembly) type = type.BaseType;
        var name = type.Name + Suffix;
        if (PandaInvocations > 0) Ledger.RecordPanda(name, Panda, PandaInvocations * PandaSpansPerInvoke);
        if (OtelInvocations > 0) Ledger.RecordOtel(name, Otel, OtelInvocations * OtelActivitiesPerInvoke);
        Panda.Dispose();
        Otel.Dispose();
    }

    protected virtual string Suffix => "";
    protected abstract long PandaSpansPerInvoke { get; }
    protected abstract long OtelActivitiesPerInvoke { get; }
}

/// <summary>Scenario 2: enabled, one trace with one span, no payload.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("2-one-span")]
[InvocationCount(1, 1)]
public class TraceWithOneSpan : EnabledBench
{
    public const int Ops = 20_000;
    protected override long PandaSpansPerInvoke => Ops;
    protected override long OtelActivitiesPerInvoke => 2 * Ops;

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops, Description = "OTel: root + child activity")]
    public void OpenTelemetry()
    {
        OtelInvocations++;
        for (var i = 0; i < Ops; i++) Work.OtelTraceWithOneSpan(Otel.Source);
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "PandaProbe: trace + span")]
    public void PandaProbe()
    {
        PandaInvocations++;
        for (var i = 0; i < Ops; i++) Work.PandaTraceWithOneSpan(Panda.Client);
    }
}

/// <summary>Scenario 2b: the cheapest OpenTelemetry shape (one root activity), for reference.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("2-one-span")]
[InvocationCount(1, 1)]
public class SingleActivity : EnabledBench
{
    public const int Ops = 20_000;
    protected override long PandaSpansPerInvoke => 0;
    protected override long OtelActivitiesPerInvoke => Ops;

    [Benchmark(OperationsPerInvoke = Ops, Description = "OTel: one root activity")]
    public void OpenTelemetry()
    {
        OtelInvocations++;
        for (var i = 0; i < Ops; i++) Work.OtelSingleActivity(Otel.Source);
    }
}

/// <summary>Scenario 3: an LLM span with a few messages in and out, model, token usage and cost.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("3-llm-span")]
[InvocationCount(1, 1)]
public class LlmSpan : EnabledBench
{
    public const int Ops = 20_000;
    protected override long PandaSpansPerInvoke => Ops;
    protected override long OtelActivitiesPerInvoke => 2 * Ops;

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops, Description = "OTel: root + LLM activity, JSON tags")]
    public void OpenTelemetry()
    {
        OtelInvocations++;
        for (var i = 0; i < Ops; i++) Work.OtelLlmSpan(Otel.Source);
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "PandaProbe: trace + LLM span")]
    public void PandaProbe()
    {
        PandaInvocations++;
        for (var i = 0; i < Ops; i++) Work.PandaLlmSpan(Panda.Client);
    }
}

/// <summary>Scenario 4: the cost of one span inside traces of 10, 1,000 and 100,000 spans (100,000 spans per invocation).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("4-trace-size")]
[InvocationCount(1, 1)]
public class SpanInTraceOfSize : EnabledBench
{
    public const int Total = 100_000;

    [Params(10, 1_000, 100_000)]
    public int SpansPerTrace { get; set; }

    protected override string Suffix => $"(N={SpansPerTrace})";
    protected override long PandaSpansPerInvoke => Total;
    protected override long OtelActivitiesPerInvoke => Total + Total / SpansPerTrace;

    [Benchmark(Baseline = true, OperationsPerInvoke = Total, Description = "OTel: child activity")]
    public void OpenTelemetry()
    {
        OtelInvocations++;
        Work.OtelSpansInTraces(Otel.Source, SpansPerTrace, Total);
    }

    [Benchmark(OperationsPerInvoke = Total, Description = "PandaProbe: span")]
    public void PandaProbe()
    {
        PandaInvocations++;
        Work.PandaSpansInTraces(Panda.Client, SpansPerTrace, Total);
    }
}

/// <summary>Scenario 6: two threads tracing at once (each makes Ops/2 traces of one span; time is per span, wall clock).</summary>
[MemoryDiagnoser]
[BenchmarkCategory("6-two-threads")]
[InvocationCount(1, 1)]
public class TwoThreads : EnabledBench
{
    public const int Ops = 20_000;
    protected override long PandaSpansPerInvoke => Ops;
    protected override long OtelActivitiesPerInvoke => 2 * Ops;

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops, Description = "OTel: 2 threads, root + child")]
    public void OpenTelemetry()
    {
        OtelInvocations++;
        var source = Otel.Source;
        Parallel.Invoke(
            () => { for (var i = 0; i < Ops / 2; i++) Work.OtelTraceWithOneSpan(source); },
            () => { for (var i = 0; i < Ops / 2; i++) Work.OtelTraceWithOneSpan(source); });
    }

    [Benchmark(OperationsPerInvoke = Ops, Description = "PandaProbe: 2 threads, trace + span")]
    public void PandaProbe()
    {
        PandaInvocations++;
        var client = Panda.Client;
        Parallel.Invoke(
            () => { for (var i = 0; i < Ops / 2; i++) Work.PandaTraceWithOneSpan(client); },
            () => { for (var i = 0; i < Ops / 2; i++) Work.PandaTraceWithOneSpan(client); });
    }
}
