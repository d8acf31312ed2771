using PandaProbe.Diagnostics;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Http;

/// <summary>The collaborators of <see cref="HttpTraceExporter"/>: all optional, injected for tests and hosting.</summary>
internal sealed record HttpExporterOptions
{
    /// <summary>Creates the HTTP handler. Default: a <c>SocketsHttpHandler</c> with the configured connect timeout and no redirects.</summary>
    public Func<HttpMessageHandler>? HandlerFactory { get; init; }
    /// <summary>The clock used for timeouts, backoff waits and HTTP-date <c>Retry-After</c>. Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
    /// <summary>The jitter source, returning numbers in [0, 1]. Default: <see cref="Random.Shared"/>.</summary>
    public Func<double>? Jitter { get; init; }
    /// <summary>How backoff delays are jittered. Default: <see cref="JitterMode.Equal"/>.</summary>
    public JitterMode JitterMode { get; init; } = JitterMode.Equal;
    /// <summary>Receives a <see cref="PandaProbeDeliveryException"/> for every item given up on; its exceptions are swallowed.</summary>
    public Action<Exception>? OnError { get; init; }
    /// <summary>The health counters to update. Default: a private instance (see <see cref="HttpTraceExporter.Metrics"/>).</summary>
    public PandaProbeMetrics? Metrics { get; init; }
    /// <summary>Receives diagnostic lines. Default: standard error, prefixed <c>[pandaprobe]</c>; debug lines only when Debug is on.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Told each rate the platform announces for <c>POST /traces</c> (the rate-fit sampler learns it); none when null.</summary>
    public Action<PlatformRate>? OnTraceRate { get; init; }
    /// <summary>Where requests that cannot be delivered now are kept for later; none when null.</summary>
    internal Spool.FileSpool? Spool { get; init; }
}
