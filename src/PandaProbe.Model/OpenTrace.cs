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
    readonly OpenParts parts;

    /// <summary>A trace with no ended spans (its <see cref="Trace.Spans"/> are ignored) and the given open spans.</summary>
    /// <param name="trace">The trace value.</param>
    /// <param name="openSpans">The spans that have started and not ended.</param>
    public OpenTrace(Trace trace, SpanTable openSpans) => parts = OpenParts.Of(trace, openSpans);

    internal OpenTrace(OpenParts parts) => this.parts = parts;

    /// <summary>The trace value, with its ended spans in <see cref="Trace.Spans"/> (built when read).</summary>
    public Trace Trace => parts.Trace;

    /// <summary>The spans that have started and not ended.</summary>
    public SpanTable OpenSpans { get => parts.OpenSpans; init => parts = parts.WithOpenSpans(value); }

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => parts.IsOpen;

    /// <summary>The parts, as the reducer works on them.</summary>
    internal OpenParts Parts => parts;

    /// <summary>Equal when the traces (with their ended spans) and the open spans are equal.</summary>
    public bool Equals(OpenTrace? other) => ReferenceEquals(this, other) || other is not null && parts.Equals(other.parts);

    /// <inheritdoc />
    public override int GetHashCode() => parts.GetHashCode();
}

/// <summary>
/// An open trace as plain parts (a value type): the reducer reads and rebuilds the trace in focus through this without
/// allocating an <see cref="OpenTrace"/> per event; <see cref="TraceState"/> keeps the focused trace as these parts.
/// </summary>
internal readonly struct OpenParts : IEquatable<OpenParts>
{
    /// <summary>Above this many ended spans, their ids are also kept in a hash set for the duplicate check.</summary>
    internal const int LinearEndedLimit = 32;

    readonly LanguageExt.HashSet<SpanId> endedIds;

    OpenParts(Trace head, Seq<Span> ended, SpanTable openSpans, LanguageExt.HashSet<SpanId> endedIds)
    {
        Head = head;
        Ended = ended;
        OpenSpans = openSpans;
        this.endedIds = endedIds;
    }

    /// <summary>A trace with the spans of its <see cref="Trace.Spans"/> as ended spans and the given open spans.</summary>
    public static OpenParts Of(Trace trace, SpanTable openSpans) =>
        new(trace.Spans.IsEmpty ? trace : trace with { Spans = default }, trace.Spans.Strict(), openSpans, IdsOf(trace.Spans));

    /// <summary>The trace without its ended spans (its <see cref="Trace.Spans"/> is empty).</summary>
    public Trace Head { get; }

    /// <summary>The spans that ended while the trace was open, in end order.</summary>
    public Seq<Span> Ended { get; }

    /// <summary>The spans that have started and not ended.</summary>
    public SpanTable OpenSpans { get; }

    /// <summary>The trace value, with its ended spans (built when read).</summary>
    public Trace Trace => Ended.IsEmpty ? Head : Head with { Spans = Ended };

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => Head.IsOpen;

    /// <summary><c>true</c> when a span with this id ended while the trace was open.</summary>
    public bool HasEnded(SpanId id)
    {
        if (Ended.Count > LinearEndedLimit) return endedIds.Contains(id);
        for (var i = 0; i < Ended.Count; i++)
            if (Ended[i].Id == id) return true;
        return false;
    }

    /// <summary>These parts with other trace fields (the ended and open spans stay).</summary>
    public OpenParts WithHead(Trace newHead) => new(newHead, Ended, OpenSpans, endedIds);

    /// <summary>These parts with other open spans.</summary>
    public OpenParts WithOpenSpans(SpanTable openSpans) => new(Head, Ended, openSpans, endedIds);

    /// <summary>These parts with <paramref name="span"/> ended and the open spans replaced.</summary>
    public OpenParts WithEnded(Span span, SpanTable openSpans)
    {
        var all = Ended.Add(span);
        var ids = all.Count > LinearEndedLimit
            ? (Ended.Count > LinearEndedLimit ? endedIds.TryAdd(span.Id) : IdsOf(all))
            : default;
        return new OpenParts(Head, all, openSpans, ids);
    }

    static LanguageExt.HashSet<SpanId> IdsOf(Seq<Span> spans) =>
        spans.Count > LinearEndedLimit ? toHashSet(spans.Map(static s => s.Id)) : default;

    /// <summary>Equal when the heads, the ended spans and the open spans are equal.</summary>
    public bool Equals(OpenParts other) =>
        Equals(Head, other.Head) && Ended.Equals(other.Ended) && OpenSpans.Equals(other.OpenSpans);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is OpenParts other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Head, Ended, OpenSpans);
}
