namespace PandaProbe.Exporters;

/// <summary>
/// Receives completed traces from the pipeline. The contract (OpenTelemetry's exporter rules): never throw, never
/// change the batch, own your retries, and report the outcome as an <see cref="ExportResult"/>. Calls to one
/// exporter never overlap. A throwing exporter is caught, counted and reported; it never reaches the user's code.
/// </summary>
public interface ITraceExporter
{
    /// <summary>A short name used in diagnostics (e.g. <c>file</c>, <c>http</c>).</summary>
    string Name { get; }

    /// <summary>Exports one batch.</summary>
    /// <param name="batch">The items to export; do not modify.</param>
    /// <param name="cancellationToken">Cancelled when the pipeline's deadline passes (flush or shutdown).</param>
    ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken);

    /// <summary>Pushes out anything the exporter buffers itself. The default does nothing.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => default;

    /// <summary>Releases the exporter's resources; called once, after the last export. The default does nothing.</summary>
    ValueTask ShutdownAsync(CancellationToken cancellationToken) => default;
}
