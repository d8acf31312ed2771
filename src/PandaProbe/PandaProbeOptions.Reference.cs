using PandaProbe.Model.Pricing;

namespace PandaProbe;

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

    /// <summary>
    /// Processors told about every trace and span start and end, in order, on a background thread (OpenAI Agents
    /// style). A throwing processor is isolated and counted; it never affects export or your code.
    /// <value>Default: empty.</value>
    /// </summary>
    public IList<ITraceProcessor> Processors { get; } = new List<ITraceProcessor>();

    /// <summary>
    /// How many completed sub-agent traces (traces started while another was open) the client keeps so that the
    /// parent's <c>TraceContext.Summary()</c> and <c>PrintTree()</c> can roll them up (the oldest are forgotten
    /// first). A trace describes itself without this; traces without a parent are never kept.
    /// <value>Default: 1000; 0 keeps none.</value>
    /// </summary>
    public int CompletedTraceRetention { get; set; } = 1000;
}
