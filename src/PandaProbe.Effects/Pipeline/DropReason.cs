namespace PandaProbe.Pipeline;

/// <summary>Why an event or an item was dropped instead of delivered.</summary>
public enum DropReason
{
    /// <summary>The event arrived after the pipeline was shut down.</summary>
    AfterShutdown,
    /// <summary>The export queue was full (the exporters fell behind); the oldest completed item made room for a newer one.</summary>
    ExportQueueFull,
    /// <summary>The reducer refused the event (see <see cref="RejectionReason"/>).</summary>
    Rejected,
    /// <summary>An exporter gave up on the item (after its own retries) or failed.</summary>
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
}
