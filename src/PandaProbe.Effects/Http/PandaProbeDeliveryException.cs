using PandaProbe.Pipeline;

namespace PandaProbe.Http;

/// <summary>
/// Reported to the error callback when an item could not be delivered to the PandaProbe platform. Never thrown
/// into user code.
/// </summary>
public sealed class PandaProbeDeliveryException : Exception
{
    /// <summary>Creates the report.</summary>
    /// <param name="reason">Why the item was dropped (see <see cref="PandaProbe.Pipeline.DropReason"/>).</param>
    /// <param name="path">The API path of the request.</param>
    /// <param name="requestId">The request's <c>X-Request-ID</c>.</param>
    /// <param name="detail">What happened (status and the start of the body, or the network error).</param>
    /// <param name="inner">The last exception seen, if any.</param>
    public PandaProbeDeliveryException(DropReason reason, string path, string requestId, string detail, Exception? inner = null)
        : base($"PandaProbe could not deliver {path} (request {requestId}): {reason.Name()}: {detail}", inner)
    {
        Reason = reason;
        Path = path;
        RequestId = requestId;
        Detail = detail;
    }

    /// <summary>Why the item was dropped (see <see cref="PandaProbe.Pipeline.DropReason"/>).</summary>
    public DropReason Reason { get; }
    /// <summary>The API path of the request.</summary>
    public string Path { get; }
    /// <summary>The request's <c>X-Request-ID</c> (the same on every retry).</summary>
    public string RequestId { get; }
    /// <summary>What happened.</summary>
    public string Detail { get; }
}
