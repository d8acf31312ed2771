using PandaProbe.Model.Pricing;

namespace PandaProbe.Internal;

/// <summary>
/// Wraps an exporter so that spans with a model and token usage but no cost are priced from a catalogue before they
/// are handed on (<see cref="CostCalculator.Apply(PriceCatalog?, Span)"/>). Runs on the export loop, so pricing never
/// costs the application's thread anything.
/// </summary>
internal sealed class PricingExporter(ITraceExporter inner, PriceCatalog catalog) : ITraceExporter
{
    public string Name => inner.Name;

    public ITraceExporter Inner => inner;

    public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken) =>
        inner.ExportAsync(Price(catalog, batch), cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public ValueTask ShutdownAsync(CancellationToken cancellationToken) => inner.ShutdownAsync(cancellationToken);

    internal static ExportBatch Price(PriceCatalog catalog, ExportBatch batch)
    {
        if (batch is null) return ExportBatch.Empty;
        try
        {
            return batch with
            {
                Traces = batch.Traces.Select(t => CostCalculator.Apply(catalog, t)).ToArray(),
                LateSpans = batch.LateSpans.Select(s => CostCalculator.Apply(catalog, s)).ToArray(),
            };
        }
        catch (Exception ex)
        {
            SelfLog.Write($"pricing a batch failed, exporting it unpriced: {ex.Message}");
            return batch;
        }
    }
}
