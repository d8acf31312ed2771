namespace PandaProbe.Pipeline;

/// <summary>
/// One exporter's own view of its deliveries (<see cref="PipelineHealth.Exporters"/>): its state, what it did since the
/// client started and since the last flush passed it, and when it last succeeded and failed. Each exporter has its own
/// lane, so one failing exporter shows here without hiding how the others do.
/// </summary>
/// <param name="Name">The exporter's name (<c>http</c> for the platform, <c>file</c>, <c>otel</c>, or a custom one).</param>
/// <param name="State">Healthy, degraded or unhealthy (see <see cref="Condition"/>).</param>
/// <param name="Problem">Why it is not healthy, in a sentence; null when healthy.</param>
/// <param name="Total">Its items since the client started.</param>
/// <param name="SinceFlush">
/// Its items since the last flush marker passed its lane (a flush with nothing pending sends none, so it does not restart them).
/// </param>
/// <param name="Pending">Items given to it and not settled yet (waiting in its lane or being exported).</param>
/// <param name="LastSuccess">When a delivery last delivered or spooled some of its items; null before the first.</param>
/// <param name="LastFailure">When items were last lost (failed or dropped from its lane); null when none was.</param>
/// <param name="LastError">What the last failure said; null when none.</param>
public sealed record ExporterHealth(
    string Name, ExporterHealth.Condition State, string? Problem, ExporterHealth.Counts Total, ExporterHealth.Counts SinceFlush,
    long Pending, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure, string? LastError)
{
    /// <summary>An exporter's state.</summary>
    public enum Condition
    {
        /// <summary>Its last delivery succeeded (or it has had none), and none is running longer than the export timeout.</summary>
        Healthy,
        /// <summary>Its last delivery lost or spooled some items, or its full lane dropped items since its last success.</summary>
        Degraded,
        /// <summary>Its last three deliveries or more lost everything, or an export has run longer than the export timeout (hung).</summary>
        Unhealthy,
    }

    /// <summary>What an exporter did with the items given to it.</summary>
    /// <param name="Exported">Items it delivered.</param>
    /// <param name="Failed">Items it gave up on.</param>
    /// <param name="Spooled">Items it kept in its spool to deliver later (the platform exporter).</param>
    /// <param name="Dropped">Items its lane dropped before it tried them (full, or the shutdown deadline passed).</param>
    public readonly record struct Counts(long Exported, long Failed, long Spooled, long Dropped);
}
