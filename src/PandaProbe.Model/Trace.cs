namespace PandaProbe.Model;

/// <summary>
/// A trace: one end-to-end run (an agent turn, a pipeline run) with its spans. An immutable value holding every
/// field of the platform's trace body; changed only by <see cref="TraceReducer"/>.
/// </summary>
/// <remarks>
/// As in <see cref="Span"/>, the optional fields live in one shared details value, so ending a trace (a new status, end
/// time and span list) copies a small record and shares the rest.
/// </remarks>
public sealed record Trace
{
    Details details = Details.None;

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
    public Option<DateTimeOffset> EndedAt { get; init; }
    /// <summary>The input, if set.</summary>
    public Option<Payload> Input { get => details.Input; init => details = details with { Input = value }; }
    /// <summary>The output, if set.</summary>
    public Option<Payload> Output { get => details.Output; init => details = details with { Output = value }; }
    /// <summary>Metadata (merged by each set).</summary>
    public Map<string, Payload> Metadata { get => details.Metadata; init => details = details with { Metadata = value }; }
    /// <summary>The session the trace belongs to.</summary>
    public Option<string> SessionId { get => details.SessionId; init => details = details with { SessionId = value }; }
    /// <summary>The user the trace ran for.</summary>
    public Option<string> UserId { get => details.UserId; init => details = details with { UserId = value }; }
    /// <summary>String tags.</summary>
    public Seq<string> Tags { get => details.Tags; init => details = details with { Tags = value }; }
    /// <summary>The deployment environment (e.g. <c>production</c>).</summary>
    public Option<string> Environment { get => details.Environment; init => details = details with { Environment = value }; }
    /// <summary>The application release.</summary>
    public Option<string> Release { get => details.Release; init => details = details with { Release = value }; }
    /// <summary>The trace-level error, if the trace failed.</summary>
    public Option<ErrorInfo> Error { get => details.Error; init => details = details with { Error = value }; }
    /// <summary>The trace that was open when this one started (a sub-agent's parent run), if any.</summary>
    public Option<TraceId> ParentTrace { get => details.ParentTrace; init => details = details with { ParentTrace = value }; }
    /// <summary>Registered parameters (sent under <c>metadata.params</c>).</summary>
    public Map<string, Payload> Params { get => details.Params; init => details = details with { Params = value }; }
    /// <summary>Free-form log lines (sent under <c>metadata.logs</c>).</summary>
    public Seq<LogEntry> Logs { get => details.Logs; init => details = details with { Logs = value }; }
    /// <summary>The ended spans, in the order they ended.</summary>
    public Seq<Span> Spans { get; init; }

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => EndedAt.IsNone;

    /// <summary>The trace's duration, once ended.</summary>
    public Option<TimeSpan> Duration => EndedAt.Map(end => end - StartedAt);

    /// <summary>Sets every optional field a trace can start with in one step (the reducer's start of a trace).</summary>
    internal TraceStart StartDetails
    {
        init => details = value.IsEmpty
            ? Details.None
            : new Details
            {
                Input = value.Input, Metadata = value.Metadata, SessionId = value.SessionId, UserId = value.UserId,
                Tags = value.Tags, Environment = value.Environment, Release = value.Release, ParentTrace = value.ParentTrace,
            };
    }

    /// <summary>The optional fields a trace starts with.</summary>
    internal readonly record struct TraceStart(
        Option<Payload> Input, Map<string, Payload> Metadata, Option<string> SessionId, Option<string> UserId,
        Seq<string> Tags, Option<string> Environment, Option<string> Release, Option<TraceId> ParentTrace)
    {
        public bool IsEmpty => Input.IsNone && Metadata.IsEmpty && SessionId.IsNone && UserId.IsNone && Tags.IsEmpty
            && Environment.IsNone && Release.IsNone && ParentTrace.IsNone;
    }

    /// <summary>The optional fields, shared between copies of a trace.</summary>
    sealed record Details
    {
        public static readonly Details None = new();
        public Option<Payload> Input { get; init; }
        public Option<Payload> Output { get; init; }
        public Map<string, Payload> Metadata { get; init; }
        public Option<string> SessionId { get; init; }
        public Option<string> UserId { get; init; }
        public Seq<string> Tags { get; init; }
        public Option<string> Environment { get; init; }
        public Option<string> Release { get; init; }
        public Option<ErrorInfo> Error { get; init; }
        public Option<TraceId> ParentTrace { get; init; }
        public Map<string, Payload> Params { get; init; }
        public Seq<LogEntry> Logs { get; init; }
    }
}
