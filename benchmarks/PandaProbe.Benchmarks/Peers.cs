using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PandaProbe.Exporters;
using PandaProbe.Pipeline;

namespace PandaProbe.Benchmarks;

/// <summary>An exporter that only counts what reaches it (traces, the spans they hold, late spans).</summary>
public sealed class CountingTraceExporter : ITraceExporter
{
    long traces, spans;

    public string Name => "count";
    public long Traces => Interlocked.Read(ref traces);
    public long Spans => Interlocked.Read(ref spans);

    public ValueTask<PandaProbe.Exporters.ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        long s = batch.LateSpans.Count;
        foreach (var t in batch.Traces) s += t.Spans.Count;
        Interlocked.Add(ref spans, s);
        Interlocked.Add(ref traces, batch.Traces.Count);
        return new(PandaProbe.Exporters.ExportResult.Success(batch.Count));
    }
}

/// <summary>OpenTelemetry's side: a no-op exporter that counts the activities handed to it.</summary>
public sealed class CountingActivityExporter : BaseExporter<Activity>
{
    long exported;

    public long Exported => Interlocked.Read(ref exported);

    public override OpenTelemetry.ExportResult Export(in Batch<Activity> batch)
    {
        long n = 0;
        foreach (var _ in batch) n++;
        Interlocked.Add(ref exported, n);
        return OpenTelemetry.ExportResult.Success;
    }
}

/// <summary>A PandaProbe client exporting to a <see cref="CountingTraceExporter"/> (or another exporter).</summary>
public sealed class PandaPeer : IDisposable
{
    public PandaPeer(ITraceExporter? exporter = null, System.Reactive.Concurrency.IScheduler? scheduler = null,
        int? maxQueueSize = null)
    {
        Exporter = exporter ?? new CountingTraceExporter();
        var options = new PandaProbeOptions
        {
            Enabled = true,
            Exporters = { Exporter },
            MaxQueueSize = maxQueueSize,
            RegisterProcessExitHandler = false,
            Scheduler = scheduler ?? StockScheduler(),
            EnvironmentVariables = new Dictionary<string, string?>(),
        };
        // PANDA_MASK_SECRETS=false measures the export side without the default secrets pass.
        if (Environment.GetEnvironmentVariable("PANDA_MASK_SECRETS") == "false") options.Redaction.MaskSecrets = false;
        Client = new PandaProbeClient(options);
    }

    /// <summary>
    /// <c>PANDA_SCHEDULER=eventloop</c> or <c>taskpool</c> runs the export side on one of Rx's stock schedulers instead
    /// of the SDK's own (to measure whether the SDK's is still the cheaper); unset, the SDK's.
    /// </summary>
    static System.Reactive.Concurrency.IScheduler? StockScheduler() => Environment.GetEnvironmentVariable("PANDA_SCHEDULER") switch
    {
        "eventloop" => new System.Reactive.Concurrency.EventLoopScheduler(start => new Thread(start) { IsBackground = true, Name = "eventloop export" }),
        "taskpool" => System.Reactive.Concurrency.TaskPoolScheduler.Default,
        _ => null,
    };

    public PandaProbeClient Client { get; }
    public ITraceExporter Exporter { get; }
    public long ExportedSpans => (Exporter as CountingTraceExporter)?.Spans ?? -1;

    /// <summary>Waits until everything posted so far is folded and exported.</summary>
    public void Flush() => Client.FlushAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();

    public void Dispose() => Client.ShutdownAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
}

/// <summary>
/// OpenTelemetry .NET doing the same work: an <see cref="ActivitySource"/> listened to by a TracerProvider with a
/// <see cref="BatchActivityExportProcessor"/> and a no-op exporter. Each peer uses its own source name, so peers built
/// by different benchmarks never listen to each other's sources.
/// </summary>
public sealed class OtelPeer : IDisposable
{
    static int sequence;

    public OtelPeer(int maxQueueSize = 2048, Sampler? sampler = null)
    {
        var name = $"PandaProbe.Benchmarks.Otel{Interlocked.Increment(ref sequence)}";
        Source = new ActivitySource(name);
        Exporter = new CountingActivityExporter();
        Provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(name)
            .SetSampler(sampler ?? new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(Exporter, maxQueueSize: maxQueueSize,
                scheduledDelayMilliseconds: 5000, exporterTimeoutMilliseconds: 30000,
                maxExportBatchSize: Math.Min(512, maxQueueSize)))
            .Build()!;
    }

    public ActivitySource Source { get; }
    public TracerProvider Provider { get; }
    public CountingActivityExporter Exporter { get; }

    /// <summary>
    /// Waits until every ended activity has been exported. <c>ForceFlush</c> can miss its wake-up and then sits out its
    /// whole timeout (seen here: minutes with a two-minute timeout), so it is called with a short one until it reports
    /// success, for at most two minutes in all.
    /// </summary>
    public void Flush()
    {
        var until = Stopwatch.StartNew();
        while (!Provider.ForceFlush(200) && until.Elapsed < TimeSpan.FromMinutes(2)) { }
    }

    public void Dispose()
    {
        Provider.Dispose();
        Source.Dispose();
    }
}

/// <summary>An <see cref="ActivitySource"/> nobody listens to: OpenTelemetry's "tracing disabled".</summary>
public static class Unlistened
{
    public static readonly ActivitySource Source = new("PandaProbe.Benchmarks.Unlistened");
}
