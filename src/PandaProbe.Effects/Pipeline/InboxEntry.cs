using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Pipeline;

/// <summary>What an inbox slot holds.</summary>
internal enum EntryKind : byte
{
    /// <summary>An empty slot.</summary>
    None,
    /// <summary>A <see cref="TraceEvent"/> record, held by reference in <see cref="InboxEntry.Ref"/>.</summary>
    Record,
    /// <summary>A control message (flush, shutdown) in <see cref="InboxEntry.Ref"/>.</summary>
    Control,
    /// <summary>A <see cref="TraceStarted"/> without input, tags or metadata, held as fields.</summary>
    TraceStarted,
    /// <summary>A <see cref="TraceEnded"/>, held as fields.</summary>
    TraceEnded,
    /// <summary>A <see cref="SpanStarted"/> without metadata, held as fields.</summary>
    SpanStarted,
    /// <summary>A <see cref="SpanEnded"/>, held as fields.</summary>
    SpanEnded,
    /// <summary>An <see cref="InputSet"/> (of a span or the trace), its payload in <see cref="InboxEntry.Ref"/>.</summary>
    InputSet,
    /// <summary>An <see cref="OutputSet"/> (of a span or the trace), its payload in <see cref="InboxEntry.Ref"/>.</summary>
    OutputSet,
    /// <summary>A <see cref="TokensSet"/>, its usage in <see cref="InboxEntry.Ref"/>.</summary>
    TokensSet,
    /// <summary>A <see cref="CostSet"/>, its cost in <see cref="InboxEntry.Ref"/>.</summary>
    CostSet,
    /// <summary>A <see cref="ModelSet"/>, its model in <see cref="InboxEntry.Text1"/>.</summary>
    ModelSet,
}

/// <summary>The environment and release stamped on every trace of one client (one instance per client).</summary>
/// <param name="Environment">The deployment environment, if configured.</param>
/// <param name="Release">The release, if configured.</param>
internal sealed record TraceOrigin(string? Environment, string? Release)
{
    /// <summary>Neither is configured.</summary>
    public static TraceOrigin None { get; } = new(null, null);
}

/// <summary>
/// One event in the inbox. The four events every trace and span make (trace and span start and end) and the usual
/// updates of an LLM span (input, output, model, token usage, cost) are kept as plain fields, written into a slot the
/// inbox allocated once, so posting them allocates no event object on the caller's thread and a backlog holds no event
/// objects for the garbage collector to copy (an update's value — a payload, a usage, a cost — is still an object);
/// the fold turns them into their <see cref="TraceEvent"/> records when it reads them (<see cref="ToEvent"/>). Every
/// other event, and a start that carries input, tags or metadata, travels as its record in <see cref="Ref"/>.
/// </summary>
internal struct InboxEntry
{
    public TraceId Trace;
    /// <summary>The span (span start and end).</summary>
    public SpanId Span;
    /// <summary>The parent span (span start) or the parent trace (trace start), when <see cref="HasParent"/>.</summary>
    public Guid Parent;
    public DateTimeOffset At;
    /// <summary>The trace's or span's name (starts).</summary>
    public string? Name;
    /// <summary>The model (span start) or the session id (trace start).</summary>
    public string? Text1;
    /// <summary>The user id (trace start).</summary>
    public string? Text2;
    /// <summary>
    /// The record (<see cref="EntryKind.Record"/>), the control message, a trace start's <see cref="TraceOrigin"/>,
    /// or an update's value (payload, token usage, cost).
    /// </summary>
    public object? Ref;
    public SpanKind SpanKind;
    public EntryKind Kind;
    public bool HasParent;
    /// <summary>An update of a span (<see cref="Span"/>), not of the trace.</summary>
    public bool OnSpan;

    /// <summary>An event record.</summary>
    public static InboxEntry Of(TraceEvent e) => new() { Kind = EntryKind.Record, Ref = e, Trace = e.Trace };

    /// <summary>A control message.</summary>
    public static InboxEntry OfControl(object control) => new() { Kind = EntryKind.Control, Ref = control };

    /// <summary>A trace start without input, tags or metadata.</summary>
    public static InboxEntry TraceStart(TraceId trace, string name, DateTimeOffset at, string? sessionId, string? userId,
        TraceOrigin origin, TraceId? parentTrace) => new()
    {
        Kind = EntryKind.TraceStarted, Trace = trace, Name = name, At = at, Text1 = sessionId, Text2 = userId,
        Ref = origin, HasParent = parentTrace.HasValue, Parent = parentTrace.GetValueOrDefault().Value,
    };

    /// <summary>A trace end.</summary>
    public static InboxEntry TraceEnd(TraceId trace, DateTimeOffset at) => new() { Kind = EntryKind.TraceEnded, Trace = trace, At = at };

    /// <summary>A span start without metadata.</summary>
    public static InboxEntry SpanStart(TraceId trace, SpanId span, SpanId? parent, string name, SpanKind kind,
        DateTimeOffset at, string? model) => new()
    {
        Kind = EntryKind.SpanStarted, Trace = trace, Span = span, Name = name, SpanKind = kind, At = at, Text1 = model,
        HasParent = parent.HasValue, Parent = parent.GetValueOrDefault().Value,
    };

    /// <summary>A span end.</summary>
    public static InboxEntry SpanEnd(TraceId trace, SpanId span, DateTimeOffset at) =>
        new() { Kind = EntryKind.SpanEnded, Trace = trace, Span = span, At = at };

    /// <summary>A span's or (when <paramref name="span"/> is null) the trace's input.</summary>
    public static InboxEntry Input(TraceId trace, SpanId? span, Payload input, DateTimeOffset at) =>
        Update(EntryKind.InputSet, trace, span, input, at);

    /// <summary>A span's or (when <paramref name="span"/> is null) the trace's output.</summary>
    public static InboxEntry Output(TraceId trace, SpanId? span, Payload output, DateTimeOffset at) =>
        Update(EntryKind.OutputSet, trace, span, output, at);

    /// <summary>A span's token usage.</summary>
    public static InboxEntry Tokens(TraceId trace, SpanId span, TokenUsage usage, DateTimeOffset at) =>
        Update(EntryKind.TokensSet, trace, span, usage, at);

    /// <summary>A span's cost.</summary>
    public static InboxEntry CostOf(TraceId trace, SpanId span, Cost cost, DateTimeOffset at) =>
        Update(EntryKind.CostSet, trace, span, cost, at);

    /// <summary>A span's model.</summary>
    public static InboxEntry ModelOf(TraceId trace, SpanId span, string model, DateTimeOffset at) => new()
    {
        Kind = EntryKind.ModelSet, Trace = trace, Span = span, OnSpan = true, Text1 = model, At = at,
    };

    static InboxEntry Update(EntryKind kind, TraceId trace, SpanId? span, object value, DateTimeOffset at) => new()
    {
        Kind = kind, Trace = trace, Span = span.GetValueOrDefault(), OnSpan = span.HasValue, Ref = value, At = at,
    };

    /// <summary><c>true</c> for a trace start (refused first under overload).</summary>
    public readonly bool StartsTrace => Kind == EntryKind.TraceStarted || Kind == EntryKind.Record && Ref is TraceStarted;

    /// <summary>The event this entry stands for (a new record for the field forms), or <c>null</c> for a control message.</summary>
    public readonly TraceEvent? ToEvent() => Kind switch
    {
        EntryKind.Record => (TraceEvent?)Ref,
        EntryKind.TraceStarted => new TraceStarted(Trace, Name!, At, null, Text1, Text2, default, default,
            (Ref as TraceOrigin)?.Environment, (Ref as TraceOrigin)?.Release, HasParent ? new TraceId(Parent) : null),
        EntryKind.TraceEnded => new TraceEnded(Trace, At),
        EntryKind.SpanStarted => new SpanStarted(Trace, Span, HasParent ? new SpanId(Parent) : null, Name!, SpanKind, At, Text1),
        EntryKind.SpanEnded => new SpanEnded(Trace, Span, At),
        EntryKind.InputSet => new InputSet(Trace, OnSpan ? Span : null, (Payload)Ref!, At),
        EntryKind.OutputSet => new OutputSet(Trace, OnSpan ? Span : null, (Payload)Ref!, At),
        EntryKind.TokensSet => new TokensSet(Trace, Span, (TokenUsage)Ref!, At),
        EntryKind.CostSet => new CostSet(Trace, Span, (Cost)Ref!, At),
        EntryKind.ModelSet => new ModelSet(Trace, Span, Text1!, At),
        _ => null,
    };
}
