namespace PandaProbe.Model;

/// <summary>
/// Every mutation the API can make, as a closed union of immutable records. The facade posts these; the reducer
/// folds them; subscribers of the event stream see them. Span-level cases carry a <see cref="Span"/> id; cases that
/// apply to either level take a nullable span id, where <c>null</c> means the trace itself.
/// </summary>
public abstract record TraceEvent
{
    private TraceEvent() { }

    /// <summary>The trace the event belongs to.</summary>
    public abstract TraceId Trace { get; init; }

    /// <summary>When the event happened.</summary>
    public abstract DateTimeOffset At { get; init; }

    /// <summary>The span the event targets, or <c>null</c> for the trace itself.</summary>
    public virtual SpanId? Target => null;

    /// <summary>A trace started.</summary>
    public sealed record TraceStarted(
        TraceId Trace, string Name, DateTimeOffset At, Payload? Input = null, string? SessionId = null,
        string? UserId = null, Seq<string> Tags = default, Map<string, Payload> Metadata = default,
        string? Environment = null, string? Release = null, TraceId? ParentTrace = null) : TraceEvent
    {
        /// <summary>When the trace continues another process's trace: the span standing for it there (see <see cref="Model.TraceRecord.ContinuationSpan"/>).</summary>
        public SpanId? ContinuationSpan
        {
            get => Links?.ContinuationSpan;
            init => Links = TraceLinks.WithSpan(Links, value);
        }
        /// <summary>The calling span upstream (see <see cref="Model.TraceRecord.ContinuationParent"/>).</summary>
        public SpanId? ContinuationParent
        {
            get => Links?.Parent;
            init => Links = TraceLinks.WithParent(Links, value);
        }
        /// <summary>The trace that was open when this one started (a sub-agent's parent run), if any.</summary>
        public TraceId? ParentTrace
        {
            get => Links?.ParentTrace;
            init => Links = TraceLinks.WithParentTrace(Links, value);
        }
        /// <summary>The parent trace and the continuation ids in one reference (null for a trace with neither).</summary>
        internal TraceLinks? Links { get; init; } = TraceLinks.WithParentTrace(null, ParentTrace);
    }

    /// <summary>A trace ended (spans still open then are delivered later, as late spans).</summary>
    public sealed record TraceEnded(TraceId Trace, DateTimeOffset At) : TraceEvent;

    /// <summary>A span started; its parent, when given, must be an open span of the same trace.</summary>
    public sealed record SpanStarted(
        TraceId Trace, SpanId Span, SpanId? Parent, string Name, SpanType Kind, DateTimeOffset At,
        string? Model = null, Map<string, Payload> Metadata = default) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span ended.</summary>
    public sealed record SpanEnded(TraceId Trace, SpanId Span, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>The input of a span (or of the trace when <paramref name="Span"/> is null) was set (replaces).</summary>
    public sealed record InputSet(TraceId Trace, SpanId? Span, Payload Input, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>The output of a span (or of the trace) was set (replaces).</summary>
    public sealed record OutputSet(TraceId Trace, SpanId? Span, Payload Output, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's model name was set (replaces).</summary>
    public sealed record ModelSet(TraceId Trace, SpanId Span, string Model, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's token usage was set (replaces).</summary>
    public sealed record TokensSet(TraceId Trace, SpanId Span, TokenUsage Tokens, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's cost was set (replaces).</summary>
    public sealed record CostSet(TraceId Trace, SpanId Span, Cost Cost, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's model parameters were set (replaces).</summary>
    public sealed record ModelParametersSet(TraceId Trace, SpanId Span, Map<string, Payload> Parameters, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's completion start time (first streamed token) was set.</summary>
    public sealed record CompletionStartSet(TraceId Trace, SpanId Span, DateTimeOffset CompletionStart, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>Metadata was merged into a span (or the trace): later keys win.</summary>
    public sealed record MetadataMerged(TraceId Trace, SpanId? Span, Map<string, Payload> Metadata, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span (or the trace) failed: its status becomes ERROR and the error is kept.</summary>
    public sealed record Errored(TraceId Trace, SpanId? Span, ErrorInfo Error, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A span's status was set explicitly.</summary>
    public sealed record SpanStatusSet(TraceId Trace, SpanId Span, SpanStatus Status, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>The trace's status was set explicitly.</summary>
    public sealed record TraceStatusSet(TraceId Trace, TraceStatus Status, DateTimeOffset At) : TraceEvent;

    /// <summary>The trace's name was replaced (a name known only once the run has begun: the request's first message).</summary>
    public sealed record TraceRenamed(TraceId Trace, string Name, DateTimeOffset At) : TraceEvent;

    /// <summary>Parameters were registered on a span (or the trace): merged, or replaced when <paramref name="Overwrite"/>.</summary>
    public sealed record ParamsRegistered(TraceId Trace, SpanId? Span, Map<string, Payload> Params, bool Overwrite, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A free-form log line was appended to a span (or the trace).</summary>
    public sealed record Logged(TraceId Trace, SpanId? Span, Payload Data, DateTimeOffset At) : TraceEvent
    { /// <inheritdoc />
      public override SpanId? Target => Span; }

    /// <summary>A score was recorded for a trace (the trace need not be open: scores pass through in order).</summary>
    public sealed record ScoreRecorded(TraceId Trace, Score Score, DateTimeOffset At) : TraceEvent;
}
