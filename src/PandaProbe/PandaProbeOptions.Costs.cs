using PandaProbe.Model.Pricing;

namespace PandaProbe;

/// <summary>Costs: computed from a price catalogue for spans that report usage but no cost.</summary>
public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// Whether a span with a model and token usage but no explicit cost gets a cost computed from
    /// <see cref="PriceCatalog"/>. Pricing runs on the export path, never on your thread; the span's metadata then
    /// carries <c>cost_source: "catalog"</c> and <c>cost_catalog_version</c>. An explicit <c>SetCost</c> always wins.
    /// <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool ComputeCosts { get; set; } = true;

    /// <summary>
    /// The prices used when <see cref="ComputeCosts"/> is on, e.g.
    /// <c>Model.Pricing.PriceCatalog.Default.With("my-finetune", new ModelPrice(3, 12))</c>.
    /// <value>Default: <c>null</c>, meaning the built-in, dated <see cref="Model.Pricing.PriceCatalog.Default"/>.</value>
    /// </summary>
    public PriceCatalog? PriceCatalog { get; set; }
}
