namespace PandaProbe.Model.Delivery;

/// <summary>The kind of request being sent; it decides how a 404 or a 500 is read.</summary>
internal enum RequestKind
{
    /// <summary><c>POST /traces</c>.</summary>
    Trace,
    /// <summary><c>POST /traces/{id}/spans</c>: a 404 means the trace is not persisted yet (ingestion lag).</summary>
    AddSpans,
    /// <summary><c>POST /evaluations/trace-scores</c>: a 404 or 500 may be the score racing its trace's ingestion.</summary>
    Score,
}

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
    internal sealed record Retry(string Reason, bool Throttled, bool IngestionLag) : RetryDecision;

    /// <summary>A permanent failure: the item is dropped and reported; retrying cannot help.</summary>
    /// <param name="Reason">The drop reason (one of <see cref="DropReasons"/>).</param>
    /// <param name="Detail">A human-readable detail (status and the start of the response body).</param>
    internal sealed record Drop(string Reason, string Detail) : RetryDecision;

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
            429 => new Retry(detail, Throttled: true, IngestionLag: false),
            404 when kind != RequestKind.Trace => new Retry(detail, Throttled: false, IngestionLag: true),
            500 when kind == RequestKind.Score => new Retry(detail, Throttled: false, IngestionLag: true),
            408 or (>= 500 and < 600) => new Retry(detail, Throttled: false, IngestionLag: false),
            401 => new Drop(DropReasons.Unauthorized, detail),
            403 => new Drop(DropReasons.Forbidden, detail),
            422 => new Drop(DropReasons.Invalid, detail),
            404 => new Drop(DropReasons.NotFound, detail),
            _ => new Drop(DropReasons.Rejected, detail),
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

/// <summary>The reasons an item can be dropped, as reported in the health counters (tag <c>reason</c>).</summary>
internal static class DropReasons
{
    /// <summary>401: the API key is missing, invalid or revoked.</summary>
    public const string Unauthorized = "unauthorized";
    /// <summary>403: the key may not write to the project.</summary>
    public const string Forbidden = "forbidden";
    /// <summary>422, or refused client-side because the platform would answer 422.</summary>
    public const string Invalid = "invalid";
    /// <summary>404 after the ingestion-lag retries were spent (the trace never appeared).</summary>
    public const string NotFound = "not_found";
    /// <summary>Any other 4xx or 3xx answer.</summary>
    public const string Rejected = "rejected";
    /// <summary>429 "Usage quota exceeded".</summary>
    public const string Quota = "quota";
    /// <summary>Transient failures (429, 5xx, network) outlasted the retries.</summary>
    public const string RetriesExhausted = "retries_exhausted";
    /// <summary>The deadline (flush or shutdown) passed before the item was delivered.</summary>
    public const string Cancelled = "cancelled";
    /// <summary>The item could not be turned into a request body.</summary>
    public const string Serialization = "serialization";
    /// <summary>The bounded queue was full and the oldest item was dropped.</summary>
    public const string QueueFull = "queue_full";
    /// <summary>
    /// Sent, but no answer confirmed that it arrived (timeouts or broken connections after sending), and no spool kept
    /// it: it may well be on the platform. A score in this state was looked up by its delivery key and not found.
    /// </summary>
    public const string Unconfirmed = "unconfirmed";
    /// <summary>The spool reached its size limit: its oldest requests were deleted to make room.</summary>
    public const string SpoolFull = "spool_full";
    /// <summary>A spooled request was older than the spool's age limit and was deleted unsent.</summary>
    public const string SpoolExpired = "spool_expired";
    /// <summary>A spool file was torn or damaged on disk: detected by its checksum, deleted, never replayed.</summary>
    public const string SpoolCorrupt = "spool_corrupt";
}
