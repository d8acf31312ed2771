namespace PandaProbe.Model;

/// <summary>
/// One span of a trace: an immutable value holding every field of the platform's span body. Changed only by
/// <see cref="TraceReducer"/>, which returns new values.
/// </summary>
/// <remarks>
/// The fields every span has (ids, name, kind, status, times) live in the record itself; the optional ones (input,
/// output, model, usage, cost, parameters, error, metadata, logs) live in one shared details value, so a copy that
/// changes only the status or the end time (every span's end) copies a small record and shares the rest. A span that
/// never sets an optional field shares one empty details value with every other such span.
/// </remarks>
public sealed record Span
{
    Details details = Details.None;

    /// <summary>The span's id.</summary>
    public required SpanId Id { get; init; }
    /// <summary>The trace the span belongs to.</summary>
    public required TraceId Trace { get; init; }
    /// <summary>The parent span, or none for a top-level span.</summary>
    public Option<SpanId> Parent { get; init; }
    /// <summary>The span's name (1–512 characters on the wire).</summary>
    public required string Name { get; init; }
    /// <summary>The kind of work.</summary>
    public SpanKind Kind { get; init; } = SpanKind.Other;
    /// <summary>The status; <see cref="SpanStatus.Unset"/> becomes <see cref="SpanStatus.Ok"/> on a clean end.</summary>
    public SpanStatus Status { get; init; }
    /// <summary>When the span started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>When the span ended, if it has.</summary>
    public Option<DateTimeOffset> EndedAt { get; init; }
    /// <summary>The input, if set.</summary>
    public Option<Payload> Input { get => details.Input; init => details = details with { Input = value }; }
    /// <summary>The output, if set.</summary>
    public Option<Payload> Output { get => details.Output; init => details = details with { Output = value }; }
    /// <summary>The model name, if set.</summary>
    public Option<string> Model { get => details.Model; init => details = details with { Model = value }; }
    /// <summary>Token usage, if set (replaced whole by each set).</summary>
    public Option<TokenUsage> Tokens { get => details.Tokens; init => details = details with { Tokens = value }; }
    /// <summary>Cost, if set (replaced whole by each set).</summary>
    public Option<Cost> Cost { get => details.Cost; init => details = details with { Cost = value }; }
    /// <summary>Model parameters, if set (replaced whole by each set).</summary>
    public Option<Map<string, Payload>> ModelParameters { get => details.ModelParameters; init => details = details with { ModelParameters = value }; }
    /// <summary>When the first token arrived, for streaming calls.</summary>
    public Option<DateTimeOffset> CompletionStartTime { get => details.CompletionStartTime; init => details = details with { CompletionStartTime = value }; }
    /// <summary>The error, if any.</summary>
    public Option<ErrorInfo> Error { get => details.Error; init => details = details with { Error = value }; }
    /// <summary>Metadata (merged by each set).</summary>
    public Map<string, Payload> Metadata { get => details.Metadata; init => details = details with { Metadata = value }; }
    /// <summary>Registered parameters (sent under <c>metadata.params</c>).</summary>
    public Map<string, Payload> Params { get => details.Params; init => details = details with { Params = value }; }
    /// <summary>Free-form log lines (sent under <c>metadata.logs</c>).</summary>
    public Seq<LogEntry> Logs { get => details.Logs; init => details = details with { Logs = value }; }

    /// <summary><c>true</c> while the span has not ended.</summary>
    public bool IsOpen => EndedAt.IsNone;

    /// <summary>The span's duration, once ended.</summary>
    public Option<TimeSpan> Duration => EndedAt.Map(end => end - StartedAt);

    /// <summary>Sets the model and metadata in one step (the reducer's start of a span: one details value, not two).</summary>
    internal (Option<string> Model, Map<string, Payload> Metadata) StartDetails
    {
        init => details = value.Model.IsNone && value.Metadata.IsEmpty
            ? Details.None
            : new Details { Model = value.Model, Metadata = value.Metadata };
    }

    /// <summary>The optional fields, shared between copies of a span.</summary>
    sealed record Details
    {
        public static readonly Details None = new();
        public Option<Payload> Input { get; init; }
        public Option<Payload> Output { get; init; }
        public Option<string> Model { get; init; }
        public Option<TokenUsage> Tokens { get; init; }
        public Option<Cost> Cost { get; init; }
        public Option<Map<string, Payload>> ModelParameters { get; init; }
        public Option<DateTimeOffset> CompletionStartTime { get; init; }
        public Option<ErrorInfo> Error { get; init; }
        public Map<string, Payload> Metadata { get; init; }
        public Map<string, Payload> Params { get; init; }
        public Seq<LogEntry> Logs { get; init; }
    }
}
