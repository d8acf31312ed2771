namespace PandaProbe.Model;

/// <summary>
/// A trace: one end-to-end run (an agent turn, a pipeline run) with its spans. An immutable value holding every
/// field of the platform's trace body; changed only by the reducer, which returns new values.
/// </summary>
public sealed record TraceRecord
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
    public TraceId? ParentTrace
    {
        get => Links?.ParentTrace;
        init => Links = TraceLinks.WithParentTrace(Links, value);
    }
    /// <summary>
    /// Set when the trace continues a trace begun in another process (it started under a W3C trace context that
    /// carried PandaProbe's <c>tracestate</c> entry; its <see cref="Id"/> is then that trace's): the span that stands
    /// for this trace there. The platform receives the trace as this span (its name, input, output, status, times and
    /// metadata), added to the upstream trace with this trace's spans under it, so the upstream trace's own fields are
    /// never overwritten. Top-level spans of such a trace have it as their <see cref="Span.Parent"/>.
    /// </summary>
    public SpanId? ContinuationSpan
    {
        get => Links?.ContinuationSpan;
        init => Links = TraceLinks.WithSpan(Links, value);
    }
    /// <summary>The calling span upstream, under which <see cref="ContinuationSpan"/> hangs (null when the call was made at the trace level).</summary>
    public SpanId? ContinuationParent
    {
        get => Links?.Parent;
        init => Links = TraceLinks.WithParent(Links, value);
    }
    /// <summary>The parent trace and the continuation ids in one reference: a trace with neither pays one null field.</summary>
    internal TraceLinks? Links { get; init; }
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
