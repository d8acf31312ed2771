using System.Collections.Concurrent;

namespace PandaProbe.Pipeline;

/// <summary>
/// Cumulative, thread-safe counters of one pipeline (lock-free increments). Read them through
/// <see cref="Snapshot"/>; every drop is counted with its reason, so nothing is lost silently.
/// </summary>
public sealed class PipelineCounters
{
    // The counters written on every trace or item sit on their own cache lines: the fold writes tracesCompleted, the
    // export loop writes exported. Sharing one line would make each write invalidate the other's cache (false
    // sharing). Events posted are not counted here at all: the inbox's write position is that count.
    PaddedCounter tracesCompleted, itemsExported;
    long itemsFailed, adjusted, subscriberErrors, unserializable, pending;
    long messageFormatWarnings;
    readonly long[] dropped = new long[Enum.GetValues<DropReason>().Length];
    readonly ConcurrentDictionary<RejectionReason, long> rejections = new();
    Func<long>? postedSource, waitingSource;

    /// <summary>
    /// Reads the events accepted by the inbox from <paramref name="posted"/> (its write position: no counter of its own,
    /// so a post costs no extra interlocked increment) and the events waiting from <paramref name="waiting"/>.
    /// </summary>
    internal void ReadInboxFrom(Func<long> posted, Func<long> waiting)
    {
        postedSource = posted;
        waitingSource = waiting;
    }

    /// <summary>Counts a completed trace leaving the fold.</summary>
    public void TraceCompleted() => Interlocked.Increment(ref tracesCompleted.Value);
    /// <summary>Counts items delivered by an exporter.</summary>
    public void Exported(long n) => Interlocked.Add(ref itemsExported.Value, n);
    /// <summary>Counts items an exporter gave up on.</summary>
    public void Failed(long n) { Interlocked.Add(ref itemsFailed, n); Interlocked.Add(ref dropped[(int)DropReason.ExportFailed], n); }
    /// <summary>Counts a value repaired to fit the platform's limits.</summary>
    public void Adjusted() => Interlocked.Increment(ref adjusted);
    /// <summary>Counts a subscriber callback that threw.</summary>
    public void SubscriberError() => Interlocked.Increment(ref subscriberErrors);
    /// <summary>Counts a user value that could not be serialized (recorded as a marker).</summary>
    public void Unserializable() => Interlocked.Increment(ref unserializable);
    /// <summary>Counts a dropped item.</summary>
    public void Dropped(DropReason reason, long n = 1) => Interlocked.Add(ref dropped[(int)reason], n);
    /// <summary>Counts an event the reducer refused.</summary>
    public void Rejected(RejectionReason reason)
    {
        rejections.AddOrUpdate(reason, 1, (_, v) => v + 1);
        Dropped(DropReason.Rejected);
    }
    /// <summary>Counts a value that does not follow the messages convention (warned about, sent as-is).</summary>
    public void MessageFormatWarning() => Interlocked.Increment(ref messageFormatWarnings);
    /// <summary>Tracks items waiting for export (queue depth).</summary>
    public void PendingChanged(long delta) => Interlocked.Add(ref pending, delta);

    /// <summary>A consistent-enough copy of every counter.</summary>
    public PipelineHealth Snapshot() => new(
        postedSource?.Invoke() ?? 0,
        Interlocked.Read(ref tracesCompleted.Value), Interlocked.Read(ref itemsExported.Value),
        Interlocked.Read(ref itemsFailed), Interlocked.Read(ref adjusted), Interlocked.Read(ref subscriberErrors),
        Interlocked.Read(ref unserializable), Interlocked.Read(ref pending),
        Enum.GetValues<DropReason>().ToDictionary(r => r, r => Interlocked.Read(ref dropped[(int)r])),
        rejections.ToDictionary(kv => kv.Key, kv => kv.Value))
    {
        MessageFormatWarnings = Interlocked.Read(ref messageFormatWarnings),
        EventsWaiting = waitingSource?.Invoke() ?? 0,
    };
}

/// <summary>A counter alone on its cache line (64 bytes of padding either side of the value).</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 136)]
internal struct PaddedCounter
{
    /// <summary>The value; update it with <see cref="Interlocked"/>.</summary>
    [System.Runtime.InteropServices.FieldOffset(64)] public long Value;
}

/// <summary>A snapshot of a pipeline's counters (all cumulative since the pipeline started).</summary>
/// <param name="EventsPosted">Events accepted into the inbox.</param>
/// <param name="TracesCompleted">Traces that completed in the fold.</param>
/// <param name="Exported">Items (traces, late spans, scores) delivered by the exporters.</param>
/// <param name="Failed">Items an exporter gave up on.</param>
/// <param name="Adjusted">Values repaired to fit the platform's limits (e.g. truncated names).</param>
/// <param name="SubscriberErrors">Subscriber callbacks that threw (isolated; export went on).</param>
/// <param name="Unserializable">User values recorded as an "unserializable" marker.</param>
/// <param name="Pending">Items waiting for export now.</param>
/// <param name="DroppedByReason">Everything dropped, by reason.</param>
/// <param name="Rejections">Events the reducer refused, by reason.</param>
public sealed record PipelineHealth(
    long EventsPosted, long TracesCompleted, long Exported, long Failed, long Adjusted, long SubscriberErrors,
    long Unserializable, long Pending, IReadOnlyDictionary<DropReason, long> DroppedByReason,
    IReadOnlyDictionary<RejectionReason, long> Rejections)
{
    /// <summary>
    /// Trace inputs/outputs and LLM span inputs/outputs that did not follow the messages convention (each was warned
    /// about through <see cref="SelfLog"/> and sent unchanged).
    /// </summary>
    public long MessageFormatWarnings { get; init; }

    /// <summary>
    /// Events posted and not yet folded (the inbox's backlog; may read up to 64 high while the fold is busy). A backlog
    /// that stays high means the application makes events faster than the fold takes them: new traces are refused
    /// once it reaches the event queue capacity.
    /// </summary>
    public long EventsWaiting { get; init; }

    /// <summary>The total of <see cref="DroppedByReason"/>.</summary>
    public long Dropped => DroppedByReason.Values.Sum();
}
