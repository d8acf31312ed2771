using System.Collections.Concurrent;
using PandaProbe.Exporters;
using PandaProbe.Model;

namespace PandaProbe.Unit.Support;

/// <summary>A test exporter that records every batch and can be told to fail or throw.</summary>
public sealed class RecordingExporter : ITraceExporter
{
    readonly ConcurrentQueue<ExportBatch> batches = new();
    public string Name => "recording";
    public Func<ExportBatch, ExportResult>? Behaviour { get; set; }
    public IReadOnlyList<ExportBatch> Batches => batches.ToArray();
    public IReadOnlyList<TraceRecord> Traces => batches.SelectMany(b => b.Traces).ToArray();
    public IReadOnlyList<Span> LateSpans => batches.SelectMany(b => b.LateSpans).ToArray();
    public IReadOnlyList<Score> Scores => batches.SelectMany(b => b.Scores).ToArray();
    public int ShutdownCalls;

    public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        batches.Enqueue(batch);
        return new(Behaviour?.Invoke(batch) ?? ExportResult.Success(batch.Count));
    }

    public ValueTask ShutdownAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref ShutdownCalls);
        return default;
    }
}
