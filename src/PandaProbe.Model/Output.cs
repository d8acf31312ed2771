namespace PandaProbe.Model;

/// <summary>Why the reducer refused an event.</summary>
public enum RejectionReason
{
    /// <summary>The event names a trace that is not open (never started, or already completed).</summary>
    UnknownTrace,
    /// <summary>A trace was started with an id that is already open.</summary>
    DuplicateTrace,
    /// <summary>The event names a span that is not open (never started, or already ended).</summary>
    SpanNotOpen,
    /// <summary>A span was started with an id that is open or has already ended in the same trace.</summary>
    DuplicateSpan,
    /// <summary>
    /// A span's parent never started in the same trace (unknown, in another trace, or the span itself). A parent that
    /// has ended is not refused: the span is kept under it and counted as a late child.
    /// </summary>
    UnknownParent,
    /// <summary>The trace has already ended, so it cannot change or gain spans.</summary>
    TraceEnded,
    /// <summary>The event's data breaks a platform rule that cannot be repaired (e.g. a negative token count).</summary>
    InvalidValue,
}

/// <summary>
/// The effects a reducer step asks for, as data (the Elmish <c>Cmd</c> idea): the shell turns them into exports,
/// processor calls and counters. A step has at most one output. A start carries its trace or span as a value built
/// from the start event when first read, so a start nobody listens to costs no record.
/// </summary>
internal abstract record Output
{
    private Output() { }

    /// <summary>A trace started.</summary>
    internal sealed record TraceStarted : Output
    {
        readonly TraceEvent.TraceStarted? start;
        TraceRecord? trace;

        /// <summary>A start carrying <paramref name="trace"/> as it started.</summary>
        /// <param name="trace">The trace as it started.</param>
        public TraceStarted(TraceRecord trace) => this.trace = trace;

        /// <summary>A start whose trace is built from <paramref name="start"/> when first read (the reducer's).</summary>
        internal TraceStarted(TraceEvent.TraceStarted start) => this.start = start;

        /// <summary>The trace as it started (no spans yet).</summary>
        public TraceRecord Trace => trace ??= TraceReducer.TraceAt(start!);

        /// <summary>Equal when the traces are equal.</summary>
        public bool Equals(TraceStarted? other) => ReferenceEquals(this, other) || other is not null && Trace.Equals(other.Trace);

        /// <inheritdoc />
        public override int GetHashCode() => Trace.GetHashCode();
    }

    /// <summary>A span started.</summary>
    internal sealed record SpanStarted : Output
    {
        readonly TraceEvent.SpanStarted? start;
        Span? span;

        /// <summary>A start carrying <paramref name="span"/> as it started.</summary>
        /// <param name="span">The span as it started.</param>
        public SpanStarted(Span span) => this.span = span;

        /// <summary>A start whose span is built from <paramref name="start"/> when first read (the reducer's).</summary>
        internal SpanStarted(TraceEvent.SpanStarted start) => this.start = start;

        /// <summary>The span as it started.</summary>
        public Span Span => span ??= TraceReducer.SpanAt(start!);

        /// <summary>
        /// <c>true</c> when the span's parent had already ended when it started (work that outlived the span that
        /// handed it on): the span is kept under that parent and the shell counts it.
        /// </summary>
        public bool LateChild { get; init; }

        /// <summary>Equal when the spans are equal.</summary>
        public bool Equals(SpanStarted? other) => ReferenceEquals(this, other) || other is not null && Span.Equals(other.Span);

        /// <inheritdoc />
        public override int GetHashCode() => Span.GetHashCode();
    }

    /// <summary>A span ended. <paramref name="AfterTrace"/> is true when its trace had already completed (a late span).</summary>
    internal sealed record SpanCompleted(Span Span, bool AfterTrace) : Output;

    /// <summary>A trace ended: it holds every span that ended before it. Emitted exactly once per trace.</summary>
    internal sealed record TraceCompleted(TraceRecord Trace) : Output;

    /// <summary>A score was recorded.</summary>
    internal sealed record ScoreSubmitted(Score Score) : Output;

    /// <summary>An ill-formed event was refused; the state did not change.</summary>
    internal sealed record Rejected(TraceEvent Event, RejectionReason Reason, string Detail) : Output;
}
