using PandaProbe.Http;
using PandaProbe.Diagnostics;

namespace PandaProbe;

/// <summary>Delivery to the platform: errors and whether it is configured.</summary>
public sealed partial class PandaProbeClient
{
    /// <summary>
    /// Adds a callback that receives a <see cref="PandaProbeDeliveryException"/> for every item the platform exporter
    /// gave up on. Exceptions thrown by the callback are swallowed. Does nothing when the client does not send to
    /// the platform.
    /// </summary>
    /// <param name="handler">The callback.</param>
    public void OnError(Action<Exception> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        foreach (var exporter in PlatformExporters) exporter.AddErrorHandler(handler);
    }

    /// <summary><c>true</c> when this client delivers to the PandaProbe platform.</summary>
    public bool SendsToPlatform => PlatformExporters.Any();

    IEnumerable<HttpTraceExporter> PlatformExporters =>
        pipeline is null || setup is null ? [] : setup.Exporters.OfType<HttpTraceExporter>();
}
