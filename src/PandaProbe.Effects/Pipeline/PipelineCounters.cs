using System.Collections.Concurrent;

namespace PandaProbe.Pipeline;

/// <summary>
/// Cumulative, thread-safe counters of one pipeline. Read them through
/// <see cref="Snapshot"/>; every drop is counted with its reason, so nothing is lost silently.
/// </summary>
internal sealed class PipelineCounters
{
    // Completed traces, folded events and pending items are counted by the export queue under the lock it takes for
    // each completed item anyway (no interlocked write of a shared line of its own on the caller's thread); exported
    // items sit on their own cache line, written by the export side. Events are not counted one by one: a trace adds
    // its count once, when it has finished.
    PaddedCounter itemsExported;
    long itemsFailed, adjusted, subscriberErrors, unserializable;
    long messageFormatWarnings, sampledOut, abandoned, lateChildren;
    readonly long[] dropped = new long[Enum.GetValues<DropReason>().Length];
    readonly ConcurrentDictionary<RejectionReason, long> rejections = new();
    ExportPipeline? export;
    long inLanes;   // items prepared and not yet settled by every exporter

    /// <summary>The traces someone waits for, settled with their delivery.</summary>
    public TraceDeliveries Deliveries { get; } = new();
    PandaProbe.Diagnostics.PandaProbeMetrics[] delivery = [];

    /// <summary>Reads completed traces, folded events and pending items from <paramref name="source"/>.</summary>
    internal void ReadFrom(ExportPipeline source) => export = source;

    /// <summary>Reads the platform delivery counters (retries, give-ups by reason) from <paramref name="metrics"/>.</summary>
    internal void ReadDeliveryFrom(IEnumerable<PandaProbe.Diagnostics.PandaProbeMetrics> metrics) => delivery = metrics.ToArray();

    /// <summary>Items entering (positive) or leaving (negative) the exporters' lanes: pending until every lane settled them.</summary>
    public void Pending(long n) => Interlocked.Add(ref inLanes, n);

    /// <summary>Counts items delivered by an exporter.</summary>
    public void Exported(long n) => Interlocked.Add(ref itemsExported.Value, n);
    /// <summary>Counts items an exporter gave up on.</summary>
    public void Failed(long n) { Interlocked.Add(ref itemsFailed, n); Interlocked.Add(ref dropped[(int)DropReason.ExportFailed], n); }
    /// <summary>Counts values repaired to fit the platform's limits.</summary>
    public void Adjusted(long n = 1) => Interlocked.Add(ref adjusted, n);
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
    /// <summary>Counts a span started under a parent that had already ended.</summary>
    public void LateChild() => Interlocked.Increment(ref lateChildren);
    /// <summary>Counts a trace closed because it had no event for the abandonment time.</summary>
    public void Abandoned() => Interlocked.Increment(ref abandoned);
    /// <summary>Counts a trace (or a late span or score of one) that sampling left out.</summary>
    public void SampledOut() => Interlocked.Increment(ref sampledOut);
    /// <summary>Counts a value that does not follow the messages convention (warned about, sent as-is).</summary>
    public void MessageFormatWarning() => Interlocked.Increment(ref messageFormatWarnings);

    /// <summary>Items waiting for export or being exported (what <see cref="Snapshot"/> reports as pending, without copying the rest).</summary>
    public long PendingNow => (export?.Counts.Waiting ?? 0) + Interlocked.Read(ref inLanes);

    /// <summary>The name of the meter every pipeline publishes its counters on.</summary>
    public const string MeterName = "PandaProbe";

    /// <summary>
    /// Publishes these counters on a <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>, as
    /// observable instruments read from <see cref="Snapshot"/> when a listener collects (nothing is recorded per item):
    /// what a metrics backend sees is what <c>Health</c> and every <c>FlushResult</c> say. Items lost are counted once
    /// each, by their most precise reason: an item the platform exporter gave up on by its delivery reason
    /// (<c>unauthorized</c>, <c>retries_exhausted</c>, …) rather than as <c>export_failed</c>. Dispose the result to
    /// withdraw the instruments.
    /// </summary>
    public System.Diagnostics.Metrics.Meter Publish()
    {
        var meter = new System.Diagnostics.Metrics.Meter(MeterName, typeof(PipelineCounters).Assembly.GetName().Version?.ToString());
        meter.CreateObservableCounter("pandaprobe.traces.completed", () => Snapshot().TracesCompleted, "{trace}", "Traces completed.");
        meter.CreateObservableCounter("pandaprobe.items.exported", () => Snapshot().Exported, "{item}",
            "Items (traces, late spans, scores) every exporter delivered.");
        meter.CreateObservableCounter("pandaprobe.items.failed", () => Snapshot().Failed, "{item}", "Items an exporter gave up on.");
        meter.CreateObservableCounter("pandaprobe.items.dropped", () => DroppedMeasurements(Snapshot()), "{item}",
            "Items and events lost, by reason.");
        meter.CreateObservableUpDownCounter("pandaprobe.items.pending", () => Snapshot().Pending, "{item}",
            "Items waiting for export or being exported.");
        meter.CreateObservableCounter("pandaprobe.items.spooled", () => Snapshot().Spooled, "{item}",
            "Items written to the platform exporter's spool for later delivery.");
        meter.CreateObservableCounter("pandaprobe.items.replayed", () => Snapshot().Replayed, "{item}", "Spooled items delivered.");
        meter.CreateObservableCounter("pandaprobe.requests.retried", () => Snapshot().Retried, "{request}",
            "Request attempts to the platform that were retried.");
        meter.CreateObservableCounter("pandaprobe.exporter.items", ExporterMeasurements, "{item}",
            "What each exporter did with the items given to it, by exporter and outcome (exported, failed, spooled, dropped).");
        meter.CreateObservableGauge("pandaprobe.exporter.healthy", () => (export?.Exporters ?? []).Select(e =>
            new System.Diagnostics.Metrics.Measurement<int>(e.State == ExporterHealth.Condition.Healthy ? 1 : 0,
                new KeyValuePair<string, object?>("exporter", e.Name), new KeyValuePair<string, object?>("state", e.State.ToString().ToLowerInvariant()))),
            null, "1 while the exporter is healthy, 0 while it is degraded or unhealthy (its state as a tag).");
        return meter;
    }

    IEnumerable<System.Diagnostics.Metrics.Measurement<long>> ExporterMeasurements()
    {
        foreach (var e in export?.Exporters ?? [])
        {
            var name = new KeyValuePair<string, object?>("exporter", e.Name);
            yield return new(e.Total.Exported, name, new KeyValuePair<string, object?>("outcome", "exported"));
            yield return new(e.Total.Failed, name, new KeyValuePair<string, object?>("outcome", "failed"));
            yield return new(e.Total.Spooled, name, new KeyValuePair<string, object?>("outcome", "spooled"));
            yield return new(e.Total.Dropped, name, new KeyValuePair<string, object?>("outcome", "dropped"));
        }
    }

    /// <summary>Every loss once, by its most precise reason (the delivery reasons in place of <c>export_failed</c>).</summary>
    static IEnumerable<System.Diagnostics.Metrics.Measurement<long>> DroppedMeasurements(PipelineHealth health)
    {
        var byDelivery = 0L;
        foreach (var (reason, count) in health.DeliveryFailures)
        {
            if (count <= 0) continue;
            byDelivery += count;
            yield return new(count, new KeyValuePair<string, object?>("reason", reason.Name()));
        }
        foreach (var (reason, count) in health.DroppedByReason)
        {
            var n = reason == DropReason.ExportFailed ? count - byDelivery : count;
            if (n > 0) yield return new(n, new KeyValuePair<string, object?>("reason", reason.Name()));
        }
    }

    /// <summary>The running totals a flush reports the difference of (cheaper than a <see cref="Snapshot"/>).</summary>
    public (long Exported, long Dropped, long Spooled, long Replayed) Totals()
    {
        long lost = 0;
        for (var i = 0; i < dropped.Length; i++) lost += Interlocked.Read(ref dropped[i]);
        long spooled = 0, replayed = 0;
        foreach (var d in delivery)
        {
            spooled += d.Spooled;
            replayed += d.Replayed;
        }
        return (Interlocked.Read(ref itemsExported.Value), lost, spooled, replayed);
    }

    /// <summary>A consistent-enough copy of every counter.</summary>
    public PipelineHealth Snapshot()
    {
        var (completed, folded, waiting) = export?.Counts ?? default;
        return Read(completed, folded, waiting + Interlocked.Read(ref inLanes));
    }

    PipelineHealth Read(long completed, long folded, long pending) => new(
        folded, completed, Interlocked.Read(ref itemsExported.Value),
        Interlocked.Read(ref itemsFailed), Interlocked.Read(ref adjusted), Interlocked.Read(ref subscriberErrors),
        Interlocked.Read(ref unserializable), pending,
        Enum.GetValues<DropReason>().ToDictionary(r => r, r => Interlocked.Read(ref dropped[(int)r])),
        rejections.ToDictionary(kv => kv.Key, kv => kv.Value))
    {
        MessageFormatWarnings = Interlocked.Read(ref messageFormatWarnings),
        SampledOut = Interlocked.Read(ref sampledOut),
        Spooled = delivery.Sum(d => d.Spooled),
        Exporters = export?.Exporters ?? [],
        Abandoned = Interlocked.Read(ref abandoned),
        LateChildSpans = Interlocked.Read(ref lateChildren),
        Replayed = delivery.Sum(d => d.Replayed),
        SendsToPlatform = delivery.Length > 0,
        Retried = delivery.Sum(d => d.Retried),
        DeliveryFailures = delivery.SelectMany(d => d.DroppedByReason).GroupBy(kv => kv.Key)
            .ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value)),
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
/// <param name="EventsPosted">
/// Events folded into traces that have finished (a trace adds its events when it and its late spans have ended), plus
/// scores. Refused events are counted in <paramref name="Rejections"/> instead.
/// </param>
/// <param name="TracesCompleted">Traces that completed (ended) in the fold.</param>
/// <param name="Exported">Items (traces, late spans, scores) delivered by the exporters.</param>
/// <param name="Failed">Items an exporter gave up on.</param>
/// <param name="Adjusted">Values repaired to fit the platform's limits (e.g. truncated names).</param>
/// <param name="SubscriberErrors">Subscriber callbacks that threw (isolated; export went on).</param>
/// <param name="Unserializable">User values recorded as an "unserializable" marker.</param>
/// <param name="Pending">Items waiting for export now, or being exported.</param>
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
    /// Traces that sampling left out (the ratio dropped them and no rule kept them), with the late spans and scores of
    /// such traces. They are not drops: nothing in <see cref="DroppedByReason"/> counts them.
    /// </summary>
    public long SampledOut { get; init; }

    /// <summary>
    /// Items (traces, late spans, scores) the platform could not take when they were sent (an outage, retries spent,
    /// the shutdown deadline, a full export queue) and that were written to the spool instead, to be delivered when
    /// the platform answers again. They are neither exported nor dropped.
    /// </summary>
    public long Spooled { get; init; }

    /// <summary>
    /// Traces nobody ended that the SDK closed after the abandonment time without an event: each is exported with its
    /// open spans ended, an error saying so and the metadata key <c>pandaprobe_abandoned_after_s</c>.
    /// </summary>
    public long Abandoned { get; init; }

    /// <summary>
    /// Spans started under a parent span that had already ended: work handed on (an explicit <c>parent:</c>, a task
    /// or a stream) that outlived the span that started it. Each is kept under that parent and exported; the platform
    /// and the viewer show it there, ending after its parent.
    /// </summary>
    public long LateChildSpans { get; init; }

    /// <summary>Spooled items this client delivered (spooled by this process or an earlier one).</summary>
    public long Replayed { get; init; }

    /// <summary><c>true</c> when the client delivers to the PandaProbe platform (the delivery counters below apply).</summary>
    public bool SendsToPlatform { get; init; }

    /// <summary>Request attempts to the platform that were retried (429, 5xx, network errors, timeouts, ingestion lag).</summary>
    public long Retried { get; init; }

    /// <summary>
    /// Items the platform exporter gave up on, by its reason (<see cref="DropReason.Unauthorized"/>,
    /// <see cref="DropReason.Forbidden"/>, <see cref="DropReason.Invalid"/>, <see cref="DropReason.NotFound"/>,
    /// <see cref="DropReason.PlatformRejected"/>, <see cref="DropReason.Quota"/>, <see cref="DropReason.RetriesExhausted"/>,
    /// <see cref="DropReason.Unconfirmed"/>, <see cref="DropReason.Cancelled"/>, <see cref="DropReason.Serialization"/>
    /// and the spool's <see cref="DropReason.SpoolFull"/>, <see cref="DropReason.SpoolExpired"/>,
    /// <see cref="DropReason.SpoolCorrupt"/>). They are among <see cref="Failed"/> and <see cref="DropReason.ExportFailed"/>.
    /// </summary>
    public IReadOnlyDictionary<DropReason, long> DeliveryFailures { get; init; } = new Dictionary<DropReason, long>();

    /// <summary>The number of items the platform exporter gave up on for <paramref name="reason"/> (0 when none).</summary>
    /// <param name="reason">A reason of <see cref="DeliveryFailures"/>.</param>
    public long DeliveryFailuresFor(DropReason reason) => DeliveryFailures.TryGetValue(reason, out var n) ? n : 0;

    /// <summary>
    /// Each exporter's own health (state, counts since the start and since the last flush, last success and error), in
    /// the order they were configured: one failing exporter shows here without hiding how the others do.
    /// </summary>
    public IReadOnlyList<ExporterHealth> Exporters { get; init; } = [];

    /// <summary>The total of <see cref="DroppedByReason"/>.</summary>
    public long Dropped => DroppedByReason.Values.Sum();
}
