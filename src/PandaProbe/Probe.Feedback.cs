namespace PandaProbe;

public static partial class Probe
{
    /// <summary>Records binary feedback on the default client. See <see cref="PandaProbeClient.LogBinaryFeedback"/>.</summary>
    public static void LogBinaryFeedback(bool value, Guid? traceId = null, string name = "binary_feedback", string? reason = null) =>
        Client.LogBinaryFeedback(value, traceId, name, reason);

    /// <summary>Records a 0–1 rating on the default client. See <see cref="PandaProbeClient.LogNumericFeedback"/>.</summary>
    public static void LogNumericFeedback(double value, Guid? traceId = null, string name = "numeric_feedback", string? reason = null) =>
        Client.LogNumericFeedback(value, traceId, name, reason);

    /// <summary>Records categorical feedback on the default client. See <see cref="PandaProbeClient.LogCategoricalFeedback"/>.</summary>
    public static void LogCategoricalFeedback(string value, IReadOnlyList<string> categories, Guid? traceId = null,
        string name = "categorical_feedback", string? reason = null) =>
        Client.LogCategoricalFeedback(value, categories, traceId, name, reason);

    /// <summary>Records free-text feedback on the default client. See <see cref="PandaProbeClient.LogTextFeedback"/>.</summary>
    public static void LogTextFeedback(string value, Guid? traceId = null, string name = "text_feedback") =>
        Client.LogTextFeedback(value, traceId, name);
}
