namespace PandaProbe.Model;

/// <summary>
/// A trace: one end-to-end run (an agent turn, a pipeline run) with its spans. An immutable value holding every
/// field of the platform's trace body; changed only by the reducer, which returns new values.
/// </summary>
public sealed record Trace
{
    /// <summary>The trace's id.</summary>
    public required TraceId Id { get; init; }
    /// <summary>The trace's name (1–512 characters on the wire).</summary>
    public required string Name { get; init; }
    /// <summary>The status: <see cref="TraceStatus.Running"/> while open, <see cref="TraceStatus.Completed"/> on a clean end.</summary>
    public TraceStatus Status { get; init; } = TraceStatus.Running;
    /// <summary><c>true</c> once the status was set explicitly or by an error (a clean end then keeps it).</summary>
    public bool StatusIsExplicit { get; init; }
    /// <summary>When the trace started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When the trace ended, if it has.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>The input, if set.</summary>
    public Payload? Input { get; init; }
    /// <summary>The output, if set.</summary>
    public Payload? Output { get; init; }
    /// <summary>Metadata (merged by each set).</summary>
    public Map<string, Payload> Metadata { get; init; }
    /// <summary>The session the trace belongs to.</summary>
    public string? SessionId { get; init; }
    /// <summary>The user the trace ran for.</summary>
    public string? UserId { get; init; }
    /// <summary>String tags.</summary>
    public Seq<string> Tags { get; init; }
    /// <summary>The deployment environment (e.g. <c>production</c>).</summary>
    public string? Environment { get; init; }
    /// <summary>The application release.</summary>
    public string? Release { get; init; }
    /// <summary>The trace-level error, if the trace failed.</summary>
    public ErrorInfo? Error { get; init; }
    /// <summary>The trace that was open when this one started (a sub-agent's parent run), if any.</summary>
    public TraceId? ParentTrace { get; init; }
    /// <summary>Registered parameters (sent under <c>metadata.params</c>).</summary>
    public Map<string, Payload> Params { get; init; }
    /// <summary>Free-form log lines (sent under <c>metadata.logs</c>).</summary>
    public Seq<LogEntry> Logs { get; init; }
    /// <summary>The ended spans, in the order they ended.</summary>
    public Seq<Span> Spans { get; init; }

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => EndedAt is null;

    /// <summary>The trace's duration, once ended.</summary>
    public TimeSpan? Duration => EndedAt - StartedAt;
}
