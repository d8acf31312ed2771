namespace PandaProbe;

/// <summary>Scores and user feedback on the default client (see <see cref="PandaProbeClient.Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>: bad values are refused and counted, never thrown).</summary>
public static partial class Probe
{
    /// <summary>Records a NUMERIC score (in [0, 1]) for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value, in [0, 1].</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public static void Score(Guid traceId, string name, double value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, value, reason, metadata);

    /// <summary>Records a BOOLEAN score for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The value.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public static void Score(Guid traceId, string name, bool value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, value, reason, metadata);

    /// <summary>Records a CATEGORICAL score (a label) for a trace on the default client.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name.</param>
    /// <param name="category">The label.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public static void Score(Guid traceId, string name, string category, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Client.Score(traceId, name, category, reason, metadata);

    /// <summary>Records binary feedback on the default client. See <see cref="PandaProbeClient.LogBinaryFeedback"/>.</summary>
    /// <param name="value"><c>true</c> for positive feedback.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public static void LogBinaryFeedback(bool value, Guid? traceId = null, string name = "binary_feedback", string? reason = null) =>
        Client.LogBinaryFeedback(value, traceId, name, reason);

    /// <summary>Records a 0–1 rating on the default client. See <see cref="PandaProbeClient.LogNumericFeedback"/>.</summary>
    /// <param name="value">The rating, 0 to 1.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public static void LogNumericFeedback(double value, Guid? traceId = null, string name = "numeric_feedback", string? reason = null) =>
        Client.LogNumericFeedback(value, traceId, name, reason);

    /// <summary>Records categorical feedback on the default client. See <see cref="PandaProbeClient.LogCategoricalFeedback"/>.</summary>
    /// <param name="value">The chosen label.</param>
    /// <param name="categories">The labels that could be chosen.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public static void LogCategoricalFeedback(string value, IReadOnlyList<string> categories, Guid? traceId = null,
        string name = "categorical_feedback", string? reason = null) =>
        Client.LogCategoricalFeedback(value, categories, traceId, name, reason);

    /// <summary>Records free-text feedback on the default client. See <see cref="PandaProbeClient.LogTextFeedback"/>.</summary>
    /// <param name="value">The user's comment.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    public static void LogTextFeedback(string value, Guid? traceId = null, string name = "text_feedback") =>
        Client.LogTextFeedback(value, traceId, name);
}
