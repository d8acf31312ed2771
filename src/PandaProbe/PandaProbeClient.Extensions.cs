using PandaProbe.Internal;
using PandaProbe.Model.Pricing;

namespace PandaProbe;

public sealed partial class PandaProbeClient
{
    PriceCatalog? priceCatalog;
    TraceArchive? archive;

    /// <summary>
    /// The catalogue that prices spans without an explicit cost, or <c>null</c> when
    /// <see cref="PandaProbeOptions.ComputeCosts"/> is off (or the client is disabled).
    /// </summary>
    public PriceCatalog? PriceCatalog => priceCatalog;

    internal TraceArchive? Archive => archive;

    /// <summary>Called by the constructor once the pipeline runs: the registered processors.</summary>
    void AttachExtensions(PandaProbeOptions options)
    {
        foreach (var processor in options.Processors.Where(p => p is not null))
            Outputs.Subscribe(new ProcessorObserver(processor));
    }
}
