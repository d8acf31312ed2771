using PandaProbe.Pipeline;

namespace PandaProbe.Model.Delivery;

/// <summary>
/// The kind of request being sent: its platform route. It decides how a 404 or a 500 is read, and it is the byte a
/// spooled request is stored with (the values are part of the spool's file format).
/// </summary>
internal enum RequestKind : byte
{
    /// <summary><c>POST /traces</c>.</summary>
    Trace = 1,
    /// <summary><c>POST /traces/{id}/spans</c>: a 404 means the trace is not persisted yet (ingestion lag).</summary>
    AddSpans = 2,
    /// <summary><c>POST /evaluations/trace-scores</c>: a 404 or 500 may be the score racing its trace's ingestion.</summary>
    Score = 3,
}

/// <summary>
/// One request to the platform, as it is sent and as it is spooled: its route, the request's id (kept across
/// processes; for a score, the key it is looked up by), the trace it belongs to, how many items it delivers and its
/// UTF-8 JSON body.
/// </summary>
/// <param name="Kind">The route's kind.</param>
/// <param name="Path">The route (e.g. <c>/traces</c>).</param>
/// <param name="DeliveryId">The request's id, sent as <c>X-Request-ID</c> on every attempt.</param>
/// <param name="TraceId">The trace the request belongs to (a score is looked up under it).</param>
/// <param name="Items">How many items (traces, spans or scores) the request delivers.</param>
/// <param name="Body">The request body, UTF-8 JSON.</param>
internal sealed record PlatformRequest(RequestKind Kind, string Path, string DeliveryId, string TraceId, int Items, byte[] Body);

/// <summary>
/// What to do after one attempt of a request: the retry matrix as a closed union. Built only by
/// <see cref="RetryDecision.Classify"/> and <see cref="RetryDecision.NetworkError"/>.
/// </summary>
internal abstract record RetryDecision
{
    private RetryDecision() { }

    /// <summary>The platform accepted the request.</summary>
    internal sealed record Success : RetryDecision;

    /// <summary>A transient failure: try again after a delay.</summary>
    /// <param name="Reason">Why (for logs), e.g. <c>HTTP 503</c>.</param>
    /// <param name="Throttled"><c>true</c> for a rate-limit answer (429): the send rate should slow down.</param>
    /// <param name="IngestionLag"><c>true</c> when the failure is the platform not having persisted the trace yet.</param>
    internal sealed record Retry(string Reason, bool Throttled, bool IngestionLag) : RetryDecision
    {
        /// <summary>The rate a throttling answer announced in its body (the platform's only statement of its limit).</summary>
        public PlatformRate? Announced { get; init; }
    }

    /// <summary>A permanent failure: the item is dropped and reported; retrying cannot help.</summary>
    /// <param name="Reason">The drop reason (one of <see cref="DropReason"/>).</param>
    /// <param name="Detail">A human-readable detail (status and the start of the response body).</param>
    internal sealed record Drop(DropReason Reason, string Detail) : RetryDecision;

    /// <summary>The organisation's usage quota is exhausted (429 "Usage quota exceeded"): dropped and reported, not retried.</summary>
    /// <param name="Detail">The start of the response body.</param>
    internal sealed record Quota(string Detail) : RetryDecision;

    /// <summary>The marker the platform puts in the body of a quota 429.</summary>
    public const string QuotaMarker = "Usage quota exceeded";

    /// <summary>How much of a response body is kept in a detail text.</summary>
    public const int MaxBodyDetail = 500;

    /// <summary>
    /// Classifies an HTTP answer. 2xx is success; 429 is a retry (a quota 429 is <see cref="Quota"/>); 408 and 5xx
    /// are retries; 404 is a retry only for add-spans and scores (ingestion lag), as is a score's 500; 401, 403, 422
    /// and every other status are dropped.
    /// </summary>
    /// <param name="status">The HTTP status code.</param>
    /// <param name="body">The response body, if read.</param>
    /// <param name="kind">The kind of request that was answered.</param>
    public static RetryDecision Classify(int status, string? body, RequestKind kind)
    {
        var detail = DescribeAnswer(status, body);
        return status switch
        {
            >= 200 and < 300 => new Success(),
            429 when body is not null && body.Contains(QuotaMarker, StringComparison.OrdinalIgnoreCase) => new Quota(detail),
            429 => new Retry(detail, Throttled: true, IngestionLag: false) { Announced = PlatformRate.Parse(body).ToNullableValue() },
            404 when kind != RequestKind.Trace => new Retry(detail, Throttled: false, IngestionLag: true),
            500 when kind == RequestKind.Score => new Retry(detail, Throttled: false, IngestionLag: true),
            408 or (>= 500 and < 600) => new Retry(detail, Throttled: false, IngestionLag: false),
            401 => new Drop(DropReason.Unauthorized, detail),
            403 => new Drop(DropReason.Forbidden, detail),
            422 => new Drop(DropReason.Invalid, detail),
            404 => new Drop(DropReason.NotFound, detail),
            _ => new Drop(DropReason.PlatformRejected, detail),
        };
    }

    /// <summary>A network failure (refused or reset connection, DNS, timeout): always a retry.</summary>
    /// <param name="description">What went wrong, for logs.</param>
    public static RetryDecision NetworkError(string description) =>
        new Retry(description, Throttled: false, IngestionLag: false);

    private static string DescribeAnswer(int status, string? body)
    {
        var text = body is null ? string.Empty : body.Length <= MaxBodyDetail ? body : body[..MaxBodyDetail];
        return text.Length == 0 ? $"HTTP {status}" : $"HTTP {status}: {text}";
    }
}

