namespace PandaProbe.Pipeline;

/// <summary>
/// The outcome of one flush or shutdown: whether everything recorded before the call was handed to the exporters in
/// time, what became of items during this call (delivered, dropped, spooled, sent from the spool), what still waits,
/// and the pipeline's cumulative counters at the end (<see cref="Health"/>).
/// </summary>
/// <param name="Completed"><c>true</c> when every event recorded before the call was folded and exported before the deadline.</param>
/// <param name="Health">Every counter since the client started, with drop and rejection reasons, delivery counters and each exporter's health.</param>
public sealed record FlushResult(bool Completed, PipelineHealth Health)
{
    /// <summary>Items (traces, late spans, scores) delivered during this call.</summary>
    public long Exported { get; init; }

    /// <summary>Items or events dropped during this call, for any reason (the reasons, since the start, are in <see cref="PipelineHealth.DroppedByReason"/>).</summary>
    public long Dropped { get; init; }

    /// <summary>Items written to the platform exporter's spool during this call (the platform could not take them now).</summary>
    public long Spooled { get; init; }

    /// <summary>Items from the spool (this process's or an earlier one's) delivered during this call: a flush tries the spool too.</summary>
    public long Replayed { get; init; }

    /// <summary>Items waiting in the spool when the call returned, to be delivered once the platform takes them.</summary>
    public long StillSpooled { get; init; }

    /// <summary>Items still waiting for export, or being exported, when the call returned (<see cref="PipelineHealth.Pending"/>).</summary>
    public long Pending => Health.Pending;

    /// <summary>
    /// When the deadline passed first (<see cref="Completed"/> is <c>false</c>): the exporters that still held items, by
    /// name (see their state in <see cref="PipelineHealth.Exporters"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<string> Unfinished { get; init; } = [];

    /// <summary>The result reported by a disabled client: nothing recorded, nothing pending.</summary>
    public static FlushResult Disabled { get; } = new(true, new PipelineCounters().Snapshot());
}
