namespace PandaProbe.Pipeline;

/// <summary>
/// Why an event or an item was dropped instead of delivered: the one vocabulary of the pipeline's health
/// (<c>PipelineHealth.DroppedByReason</c>), the platform exporter's delivery failures
/// (<c>PipelineHealth.DeliveryFailures</c>), its metrics (the <c>reason</c> tag of <c>pandaprobe.items.dropped</c>, see
/// each reason's stable name) and the reports sent to the error callback (<c>PandaProbeDeliveryException</c>).
/// </summary>
public enum DropReason
{
    /// <summary>The event arrived after the pipeline was shut down.</summary>
    AfterShutdown,
    /// <summary>
    /// The export queue, or one exporter's own queue, was full (the exporters fell behind); the oldest completed item
    /// made room for a newer one.
    /// </summary>
    ExportQueueFull,
    /// <summary>The reducer refused the event (see <see cref="PandaProbe.Model.RejectionReason"/>).</summary>
    Rejected,
    /// <summary>An exporter gave up on the item (after its own retries) or failed; the platform exporter says why with one of the reasons below.</summary>
    ExportFailed,
    /// <summary>A value could not be recorded (a non-finite cost, a negative token count…).</summary>
    InvalidValue,
    /// <summary>Shutdown's deadline passed before the item was exported.</summary>
    ShutdownDeadline,
    /// <summary>
    /// A subscriber of <c>Events</c>, <c>CompletedTraces</c> or <c>Outputs</c> fell behind by its whole queue; the newest
    /// value was not delivered to it (export is unaffected).
    /// </summary>
    SubscriberQueueFull,
    /// <summary>Redacting the item failed; it was left out rather than sent unredacted.</summary>
    RedactionFailed,
    /// <summary>The platform answered 401: the API key is missing, invalid or revoked.</summary>
    Unauthorized,
    /// <summary>The platform answered 403: the key may not write to the project.</summary>
    Forbidden,
    /// <summary>The platform answered 422, or the item was refused before sending because it would have.</summary>
    Invalid,
    /// <summary>The platform answered 404 after the ingestion-lag retries were spent (the trace never appeared).</summary>
    NotFound,
    /// <summary>The platform answered with another 4xx or 3xx status.</summary>
    PlatformRejected,
    /// <summary>The platform answered 429 "Usage quota exceeded".</summary>
    Quota,
    /// <summary>Transient failures (429, 5xx, network) outlasted the retries, and no spool kept the item.</summary>
    RetriesExhausted,
    /// <summary>The platform exporter's send was cancelled (the shutdown deadline) before the item was delivered, and no spool kept it.</summary>
    Cancelled,
    /// <summary>The item could not be turned into a request body.</summary>
    Serialization,
    /// <summary>
    /// Sent, but no answer confirmed that it arrived (timeouts or broken connections after sending), and no spool kept
    /// it: it may well be on the platform. A score in this state was looked up by its delivery key and not found.
    /// </summary>
    Unconfirmed,
    /// <summary>The spool reached its size limit: its oldest requests were deleted to make room.</summary>
    SpoolFull,
    /// <summary>A spooled request was older than the spool's age limit and was deleted unsent.</summary>
    SpoolExpired,
    /// <summary>A spool file was torn or damaged on disk: detected by its checksum, deleted, never replayed.</summary>
    SpoolCorrupt,
}

/// <summary>The stable lower-case names of <see cref="DropReason"/> (metric tags, log lines, health check data).</summary>
internal static class DropReasonNames
{
    /// <summary>The reason's stable name, e.g. <c>retries_exhausted</c> for <see cref="DropReason.RetriesExhausted"/>.</summary>
    /// <param name="reason">The reason.</param>
    public static string Name(this DropReason reason) => reason switch
    {
        DropReason.AfterShutdown => "after_shutdown",
        DropReason.ExportQueueFull => "queue_full",
        DropReason.Rejected => "event_rejected",
        DropReason.ExportFailed => "export_failed",
        DropReason.InvalidValue => "invalid_value",
        DropReason.ShutdownDeadline => "shutdown_deadline",
        DropReason.SubscriberQueueFull => "subscriber_queue_full",
        DropReason.RedactionFailed => "redaction_failed",
        DropReason.Unauthorized => "unauthorized",
        DropReason.Forbidden => "forbidden",
        DropReason.Invalid => "invalid",
        DropReason.NotFound => "not_found",
        DropReason.PlatformRejected => "rejected",
        DropReason.Quota => "quota",
        DropReason.RetriesExhausted => "retries_exhausted",
        DropReason.Cancelled => "cancelled",
        DropReason.Serialization => "serialization",
        DropReason.Unconfirmed => "unconfirmed",
        DropReason.SpoolFull => "spool_full",
        DropReason.SpoolExpired => "spool_expired",
        DropReason.SpoolCorrupt => "spool_corrupt",
        _ => reason.ToString(),
    };
}
