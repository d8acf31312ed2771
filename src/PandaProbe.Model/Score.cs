namespace PandaProbe.Model;

/// <summary>A score (evaluation or user feedback) attached to a trace.</summary>
/// <param name="Trace">The scored trace.</param>
/// <param name="Name">The metric name.</param>
/// <param name="Value">The value as the platform wants it: a string.</param>
/// <param name="DataType">How the platform reads the value.</param>
/// <param name="Reason">An optional explanation.</param>
/// <param name="Metadata">Optional extra data.</param>
public sealed record Score(
    TraceId Trace, string Name, string Value, ScoreDataType DataType, string? Reason, Map<string, Payload> Metadata);
