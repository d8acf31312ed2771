namespace PandaProbe.Pipeline;

/// <summary>
/// The outcome of a flush or shutdown: whether everything recorded before the call was handed to the exporters
/// in time, and the pipeline's counters at that moment (<see cref="Health"/>; the three most asked for are repeated
/// as shortcuts).
/// </summary>
/// <param name="Completed"><c>true</c> when every event recorded before the call was folded and exported before the deadline.</param>
/// <param name="Health">Every counter, with drop and rejection reasons and the platform delivery counters.</param>
public sealed record FlushResult(bool Completed, PipelineHealth Health)
{
    /// <summary>Items (traces, late spans, scores) delivered so far (<see cref="PipelineHealth.Exported"/>).</summary>
    public long Exported => Health.Exported;

    /// <summary>Items or events dropped so far, for any reason (<see cref="PipelineHealth.Dropped"/>, reasons in <see cref="PipelineHealth.DroppedByReason"/>).</summary>
    public long Dropped => Health.Dropped;

    /// <summary>Items still waiting for export when the call returned (<see cref="PipelineHealth.Pending"/>).</summary>
    public long Pending => Health.Pending;

    /// <summary>The result reported by a disabled client: nothing recorded, nothing pending.</summary>
    public static FlushResult Disabled { get; } = new(true, new PipelineCounters().Snapshot());
}
