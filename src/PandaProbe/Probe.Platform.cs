using PandaProbe.Diagnostics;

namespace PandaProbe;

/// <summary>Scores and delivery health on the default client.</summary>
public static partial class Probe
{
    /// <summary>Records a NUMERIC score (in [0, 1]) for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value, in [0, 1].</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name is empty or too long, or the value is outside [0, 1].</exception>
    public static void Score(Guid traceId, string name, double value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, value, reason, metadata);

    /// <summary>Records a BOOLEAN score for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name is empty or too long.</exception>
    public static void Score(Guid traceId, string name, bool value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, value, reason, metadata);

    /// <summary>Records a CATEGORICAL score (a label) for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="category">The label.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name or the label is empty or too long.</exception>
    public static void Score(Guid traceId, string name, string category, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, category, reason, metadata);

    /// <summary>Adds a delivery-error callback to the default client. See <see cref="PandaProbeClient.OnError"/>.</summary>
    /// <param name="handler">The callback.</param>
    public static void OnError(Action<Exception> handler) => Client.OnError(handler);
}
