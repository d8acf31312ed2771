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
            var traces = PriceAll(batch.Traces, t => CostCalculator.Apply(catalog, t));
            var late = PriceAll(batch.LateSpans, s => CostCalculator.Apply(catalog, s));
            return traces is null && late is null
                ? batch
                : batch with { Traces = traces ?? batch.Traces, LateSpans = late ?? batch.LateSpans };
        }
        catch (Exception ex)
        {
            SelfLog.Write($"pricing a batch failed, exporting it unpriced: {ex.Message}");
            return batch;
        }
    }

    /// <summary>The priced items, or null when pricing changed none of them (the batch is then passed on as it is).</summary>
    static T[]? PriceAll<T>(IReadOnlyList<T> items, Func<T, T> price) where T : class
    {
        T[]? result = null;
        for (var i = 0; i < items.Count; i++)
        {
            var priced = price(items[i]);
            if (result is null)
            {
                if (ReferenceEquals(priced, items[i])) continue;
                result = new T[items.Count];
                for (var j = 0; j < i; j++) result[j] = items[j];
            }
            result[i] = priced;
        }
        return result;
    }
}
