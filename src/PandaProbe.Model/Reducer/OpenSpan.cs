using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// A span that has started and not ended, as the reducer keeps it: its start (the start event, or a span value once
/// events were folded into it) plus the span-local events accepted since (newest first). Its <see cref="Value"/> is
/// built from them when read, in one record, once, when the span ends, so neither a start nor an update copies a
/// whole span. Every <see cref="CompactAfter"/> changes the events are folded into a new start, which bounds both the
/// work of a read and what a span holds on to (a value that was replaced is let go).
/// </summary>
internal sealed class OpenSpan : ISpanSlot, IEquatable<OpenSpan>
{
    /// <summary>How many events a span keeps before they are folded into its value.</summary>
    internal const int CompactAfter = 16;

    readonly SpanStarted? started;   // the start, until the first compaction
    readonly Span? folded;           // the span with the events before the compaction applied, after it
    readonly TraceEvent? change;
    readonly OpenSpan? before;
    readonly int changes;

    OpenSpan(SpanStarted? started, Span? folded, TraceEvent? change, OpenSpan? before, int changes, int version)
    {
        this.started = started;
        this.folded = folded;
        this.change = change;
        this.before = before;
        this.changes = changes;
        Version = version;
    }

    /// <summary>A span that has just started.</summary>
    public static OpenSpan Start(SpanStarted start) => new(start, null, null, null, 0, 0);

    /// <summary>A span that starts as <paramref name="span"/> (for the reducer's tests and compaction).</summary>
    public static OpenSpan Of(Span span) => new(null, span, null, null, 0, 0);

    /// <summary>
    /// How many span-local events this span has folded since it started (compaction keeps the count): each accepted
    /// event's place in the span's own order.
    /// </summary>
    public int Version { get; }

    /// <inheritdoc />
    OpenSpan ISpanSlot.State => this;

    /// <summary>The span's id.</summary>
    public SpanId Id => started?.Span ?? folded!.Id;

    /// <summary>The span now: as it started, with every accepted event applied in order.</summary>
    public Span Value
    {
        get
        {
            var buffer = new ChangeBuffer();
            return SpanChanges.Apply(started, folded, Changes(ref buffer), null);
        }
    }

    /// <summary>This span after one more span-local event (already accepted by the reducer).</summary>
    public OpenSpan With(TraceEvent e)
    {
        if (changes + 1 < CompactAfter) return new(started, folded, e, this, changes + 1, Version + 1);
        var buffer = new ChangeBuffer();
        return new(null, SpanChanges.Apply(started, folded, Changes(ref buffer, e), null), null, null, 0, Version + 1);
    }

    /// <summary>The span as it ends at <paramref name="at"/>: every event applied, the end time and final status set.</summary>
    public Span End(DateTimeOffset at)
    {
        var buffer = new ChangeBuffer();
        return SpanChanges.Apply(started, folded, Changes(ref buffer), at);
    }

    /// <summary>
    /// The events accepted since the start, oldest first, then <paramref name="next"/> when given, in
    /// <paramref name="buffer"/> (on the caller's stack: reading or ending a span allocates no array for them).
    /// </summary>
    ReadOnlySpan<TraceEvent> Changes(ref ChangeBuffer buffer, TraceEvent? next = null)
    {
        var count = changes + (next is null ? 0 : 1);
        if (count == 0) return [];
        Span<TraceEvent> all = buffer;
        if (next is not null) all[count - 1] = next;
        var i = changes - 1;
        for (var node = this; node is not null && i >= 0; node = node.before, i--) all[i] = node.change!;
        return all[..count];
    }

    /// <summary>Room for the most events a span keeps before compaction (<see cref="CompactAfter"/>), on the stack.</summary>
    [System.Runtime.CompilerServices.InlineArray(CompactAfter)]
    struct ChangeBuffer
    {
        TraceEvent first;
    }

    /// <summary>Equal when the spans are equal now and have folded as many events.</summary>
    public bool Equals(OpenSpan? other) =>
        ReferenceEquals(this, other) || other is not null && Version == other.Version && Value.Equals(other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as OpenSpan);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();
}

/// <summary>
/// Where an open span's state lives, as the trace's table of open spans holds it. In the reducer's own fold over many
/// events the slot is the <see cref="OpenSpan"/> value itself, replaced by each span-local event; in the SDK it is the
/// span's own atomic cell (the Effects' <c>SpanCell</c>), so a span's setters change that cell alone and the trace's
/// state changes only when a span starts or ends.
/// </summary>
internal interface ISpanSlot
{
    /// <summary>The span's id.</summary>
    SpanId Id { get; }

    /// <summary>The span's state now (once its cell has closed for the end, the state it ended with).</summary>
    OpenSpan State { get; }
}
