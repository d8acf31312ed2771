using PandaProbe.Http;
namespace PandaProbe;

/// <summary>Delivery settings for the PandaProbe platform (used when an API key and a project name are configured).</summary>
public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// The overall timeout of one request attempt.
    /// <value>Default: <c>PANDAPROBE_TIMEOUT</c> (seconds), else 30 s.</value>
    /// </summary>
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>The connect timeout of the platform connection. <value>Default: 5 s.</value></summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>
    /// How many times a transient failure (429, 5xx, network error, timeout) is retried.
    /// <value>Default: <c>PANDAPROBE_MAX_RETRIES</c>, else 3.</value>
    /// </summary>
    public int? MaxRetries { get; set; }

    /// <summary>The first backoff delay (doubled on each retry, with jitter). <value>Default: 0.5 s.</value></summary>
    public TimeSpan? InitialBackoff { get; set; }

    /// <summary>The longest backoff delay. <value>Default: 30 s.</value></summary>
    public TimeSpan? MaxBackoff { get; set; }

    /// <summary>The longest <c>Retry-After</c> wait honoured. <value>Default: 60 s.</value></summary>
    public TimeSpan? RetryAfterCap { get; set; }

    /// <summary>
    /// How many requests may be in flight at once (narrowed automatically while the platform answers 429).
    /// <value>Default: <c>PANDAPROBE_MAX_CONCURRENT_REQUESTS</c>, else 4.</value>
    /// </summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// Receives a <see cref="PandaProbeDeliveryException"/> for every item the platform exporter gave up on
    /// (after its retries, or at once for 401/403/422/quota). Exceptions thrown by the callback are swallowed.
    /// <value>Default: none.</value>
    /// </summary>
    public Action<Exception>? OnError { get; set; }

    /// <summary>Creates the HTTP handler used to reach the platform (tests, proxies). <value>Default: a <c>SocketsHttpHandler</c>.</value></summary>
    public Func<HttpMessageHandler>? HttpMessageHandlerFactory { get; set; }
}
