using PandaProbe.Pipeline;

namespace PandaProbe.Pipeline;

/// <summary>
/// The outcome of a flush or shutdown: whether everything recorded before the call was handed to the exporters
/// in time, and the pipeline's cumulative counters (exported, dropped with reasons, still pending).
/// </summary>
/// <param name="Completed"><c>true</c> when every event recorded before the call was folded and exported before the deadline.</param>
/// <param name="Exported">Items (traces, late spans, scores) delivered so far.</param>
/// <param name="Dropped">Items or events dropped so far, for any reason (see <see cref="Health"/>).</param>
/// <param name="Pending">Events and items still waiting when the call returned.</param>
/// <param name="Health">Every counter, with drop and rejection reasons and the platform delivery counters.</param>
public sealed record FlushResult(bool Completed, long Exported, long Dropped, long Pending, PipelineHealth Health)
{
    /// <summary>The result reported by a disabled client: nothing recorded, nothing pending.</summary>
    public static FlushResult Disabled { get; } = new(true, 0, 0, 0, new PipelineCounters().Snapshot());
}
