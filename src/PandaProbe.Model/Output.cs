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
    /// <summary>A span's parent is not an open span of the same trace (unknown, ended, or in another trace).</summary>
    ParentNotOpen,
    /// <summary>The trace has already ended, so it cannot change or gain spans.</summary>
    TraceEnded,
    /// <summary>The event's data breaks a platform rule that cannot be repaired (e.g. a negative token count).</summary>
    InvalidValue,
}

/// <summary>
/// The effects a reducer step asks for, as data (the Elmish <c>Cmd</c> idea): the shell turns them into exports,
/// processor calls and counters. A step has at most one output.
/// </summary>
public abstract record Output
{
    private Output() { }

    /// <summary>A trace started.</summary>
    public sealed record TraceStarted(Trace Trace) : Output;

    /// <summary>A span started.</summary>
    public sealed record SpanStarted(Span Span) : Output;

    /// <summary>A span ended. <paramref name="AfterTrace"/> is true when its trace had already completed (a late span).</summary>
    public sealed record SpanCompleted(Span Span, bool AfterTrace) : Output;

    /// <summary>A trace ended: it holds every span that ended before it. Emitted exactly once per trace.</summary>
    public sealed record TraceCompleted(Trace Trace) : Output;

    /// <summary>A score was recorded.</summary>
    public sealed record ScoreSubmitted(Score Score) : Output;

    /// <summary>An ill-formed event was refused; the state did not change.</summary>
    public sealed record Rejected(TraceEvent Event, RejectionReason Reason, string Detail) : Output;
}
