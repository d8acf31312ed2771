namespace PandaProbe;

/// <summary>Scores attached directly to a trace (bad values are refused and counted, never thrown).</summary>
public sealed partial class TraceContext
{
    /// <summary>Records a NUMERIC score (in [0, 1]) for this trace. See <see cref="PandaProbeClient.Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value, in [0, 1].</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(string name, double value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        (client ?? PandaProbeClient.Disabled).Score(TraceId, name, value, reason, metadata);

    /// <summary>Records a BOOLEAN score for this trace.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(string name, bool value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        (client ?? PandaProbeClient.Disabled).Score(TraceId, name, value, reason, metadata);

    /// <summary>Records a CATEGORICAL score (a label) for this trace.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="category">The label.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(string name, string category, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        (client ?? PandaProbeClient.Disabled).Score(TraceId, name, category, reason, metadata);
}
