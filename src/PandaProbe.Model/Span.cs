namespace PandaProbe.Model;

/// <summary>
/// One span of a trace: an immutable value holding every field of the platform's span body. Changed only by the
/// reducer, which returns new values.
/// </summary>
public sealed record Span
{
    /// <summary>The span's id.</summary>
    public required SpanId Id { get; init; }
    /// <summary>The trace the span belongs to.</summary>
    public required TraceId Trace { get; init; }
    /// <summary>The parent span, or none for a top-level span.</summary>
    public SpanId? Parent { get; init; }
    /// <summary>The span's name (1–512 characters on the wire).</summary>
    public required string Name { get; init; }
    /// <summary>The kind of work.</summary>
    public SpanType Kind { get; init; } = SpanType.Other;
    /// <summary>The status; <see cref="SpanStatus.Unset"/> becomes <see cref="SpanStatus.Ok"/> on a clean end.</summary>
    public SpanStatus Status { get; init; }
    /// <summary>When the span started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When the span ended, if it has.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>The input, if set.</summary>
    public Payload? Input { get; init; }
    /// <summary>The output, if set.</summary>
    public Payload? Output { get; init; }
    /// <summary>The model name, if set.</summary>
    public string? Model { get; init; }
    /// <summary>Token usage, if set (replaced whole by each set).</summary>
    public TokenUsage? Tokens { get; init; }
    /// <summary>Cost, if set (replaced whole by each set).</summary>
    public Cost? Cost { get; init; }
    /// <summary>Model parameters, if set (replaced whole by each set).</summary>
    public Map<string, Payload>? ModelParameters { get; init; }
    /// <summary>When the first token arrived, for streaming calls.</summary>
    public DateTimeOffset? CompletionStartTime { get; init; }
    /// <summary>The error, if any.</summary>
    public ErrorInfo? Error { get; init; }
    /// <summary>Metadata (merged by each set).</summary>
    public Map<string, Payload> Metadata { get; init; }
    /// <summary>Registered parameters (sent under <c>metadata.params</c>).</summary>
    public Map<string, Payload> Params { get; init; }
    /// <summary>Free-form log lines (sent under <c>metadata.logs</c>).</summary>
    public Seq<LogEntry> Logs { get; init; }

    /// <summary><c>true</c> while the span has not ended.</summary>
    public bool IsOpen => EndedAt is null;

    /// <summary>The span's duration, once ended.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;
}
