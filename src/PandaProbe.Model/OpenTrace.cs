namespace PandaProbe.Model;

/// <summary>
/// The fold's view of one trace that has not finished: the trace value, its ended spans and the spans that are still
/// open. A trace that has ended while spans were open stays here until they end (they are late spans).
/// </summary>
/// <remarks>
/// The ended spans are kept beside the trace's other fields and joined into <see cref="Trace"/> when it is read, so
/// ending a span copies neither the trace record nor the list of its spans.
/// </remarks>
public sealed record OpenTrace
{
    /// <summary>Above this many ended spans, their ids are also kept in a hash set for the duplicate check.</summary>
    internal const int LinearEndedLimit = 32;

    readonly Trace head;
    readonly Seq<Span> ended;
    readonly LanguageExt.HashSet<SpanId> endedIds;

    /// <summary>A trace with no ended spans (its <see cref="Trace.Spans"/> are ignored) and the given open spans.</summary>
    /// <param name="trace">The trace value.</param>
    /// <param name="openSpans">The spans that have started and not ended.</param>
    public OpenTrace(Trace trace, SpanTable openSpans)
        : this(trace.Spans.IsEmpty ? trace : trace with { Spans = default }, trace.Spans.Strict(), openSpans, IdsOf(trace.Spans)) { }

    OpenTrace(Trace head, Seq<Span> ended, SpanTable openSpans, LanguageExt.HashSet<SpanId> endedIds)
    {
        this.head = head;
        this.ended = ended;
        this.endedIds = endedIds;
        OpenSpans = openSpans;
    }

    /// <summary>The trace value, with its ended spans in <see cref="Trace.Spans"/> (built when read).</summary>
    public Trace Trace => ended.IsEmpty ? head : head with { Spans = ended };

    /// <summary>The spans that have started and not ended.</summary>
    public SpanTable OpenSpans { get; init; }

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => head.IsOpen;

    /// <summary>The trace without its ended spans (its <see cref="Trace.Spans"/> is empty).</summary>
    internal Trace Head => head;

    /// <summary>The spans that ended while the trace was open, in end order.</summary>
    internal Seq<Span> Ended => ended;

    /// <summary><c>true</c> when a span with this id ended while the trace was open.</summary>
    internal bool HasEnded(SpanId id)
    {
        if (ended.Count > LinearEndedLimit) return endedIds.Contains(id);
        for (var i = 0; i < ended.Count; i++)
            if (ended[i].Id == id) return true;
        return false;
    }

    /// <summary>This trace with other fields (the ended spans and open spans stay).</summary>
    internal OpenTrace WithHead(Trace newHead) => new(newHead, ended, OpenSpans, endedIds);

    /// <summary>This trace with <paramref name="span"/> ended and the open spans replaced.</summary>
    internal OpenTrace WithEnded(Span span, SpanTable openSpans)
    {
        var all = ended.Add(span);
        var ids = all.Count > LinearEndedLimit
            ? (ended.Count > LinearEndedLimit ? endedIds.TryAdd(span.Id) : IdsOf(all))
            : default;
        return new OpenTrace(head, all, openSpans, ids);
    }

    static LanguageExt.HashSet<SpanId> IdsOf(Seq<Span> spans) =>
        spans.Count > LinearEndedLimit ? toHashSet(spans.Map(static s => s.Id)) : default;

    /// <summary>Equal when the traces (with their ended spans) and the open spans are equal.</summary>
    public bool Equals(OpenTrace? other) =>
        ReferenceEquals(this, other)
        || other is not null && head.Equals(other.head) && ended.Equals(other.ended) && OpenSpans.Equals(other.OpenSpans);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(head, ended, OpenSpans);
}
