namespace PandaProbe.Model;

/// <summary>
/// The reducer's state for one trace that has not finished: the trace's own fields, the spans that ended while it
/// was open, the spans still open, and how many events it has folded. A trace that has ended while spans were open
/// stays here, without its ended spans, until those late spans end.
/// </summary>
/// <remarks>
/// The trace's fields are its start event until a trace-level event changes them (most traces never have one), so
/// starting a trace builds no <see cref="Model.TraceRecord"/> record; the record is built when the trace ends.
/// </remarks>
/// <remarks>
/// The ended spans are kept beside the trace's fields and joined into <see cref="Trace"/> when it is read, so ending a
/// span copies neither the trace record nor the list of its spans. In a fold over a script of events, the duplicate
/// check of a span's start scans the last ended spans and looks the earlier ones up in <see cref="EndedIds"/>, so it
/// stays cheap in a large trace; the SDK's own traces mint their span ids and keep none (<see cref="EndedIds.NotKept"/>).
/// </remarks>
internal sealed record OpenTrace
{
    readonly EndedIds endedIds;   // the ended spans before the last partial run of EndedIds.Run
    readonly TraceEvent.TraceStarted? start;   // the trace's fields while no trace-level event has changed them
    readonly TraceRecord? head;                      // the trace's fields once one has (and after the end)

    OpenTrace(TraceEvent.TraceStarted? start, TraceRecord? head, Seq<Span> ended, SpanTable openSpans, EndedIds endedIds, int version)
    {
        this.start = start;
        this.head = head;
        Ended = ended;
        OpenSpans = openSpans;
        this.endedIds = endedIds;
        Version = version;
    }

    /// <summary>A trace that has folded one event (its start) and has no spans.</summary>
    /// <param name="started">The trace's start.</param>
    /// <param name="mintedIds">
    /// <c>true</c> when the SDK mints every span id of the trace (random, so none can repeat an ended span's): no ids
    /// of ended spans are kept for the duplicate check, which then looks at the open spans only. The SDK's traces are
    /// started so; a fold over a script of events (whose ids the script chose) keeps them.
    /// </param>
    public static OpenTrace Started(TraceEvent.TraceStarted started, bool mintedIds = false) =>
        new(started, null, default, SpanTable.Empty, mintedIds ? EndedIds.NotKept : default, 1);

    /// <summary>The trace's fields; its <see cref="TraceRecord.Spans"/> is empty (the ended spans are in <see cref="Ended"/>).</summary>
    public TraceRecord Head => head ?? TraceReducer.TraceAt(start!);

    /// <summary>The spans that ended while the trace was open, in end order.</summary>
    public Seq<Span> Ended { get; }

    /// <summary>The spans that have started and not ended.</summary>
    public SpanTable OpenSpans { get; }

    /// <summary>
    /// How many of the trace's own events it has folded (its start and end, its fields' changes, its spans' starts and
    /// ends), plus the span-local events of the spans that have ended; rejected events do not count. Concurrent
    /// callers of one trace are linearised by the atomic swap of the state, and this number is each accepted trace
    /// event's place in that order (a span's own events are ordered by <see cref="OpenSpan.Version"/>).
    /// </summary>
    public int Version { get; }

    /// <summary>
    /// Every event this trace has folded: <see cref="Version"/> plus the events its open spans have folded so far. It
    /// only grows while the trace is open, so an unchanged count means no event happened.
    /// </summary>
    public int Events => Version + OpenSpans.SpanEvents();

    /// <summary>The trace value, with its ended spans in <see cref="TraceRecord.Spans"/> (built when read).</summary>
    public TraceRecord Trace => Ended.IsEmpty ? Head : Head with { Spans = Ended };

    /// <summary><c>true</c> while the trace has not ended.</summary>
    public bool IsOpen => head is null || head.IsOpen;

    /// <summary>
    /// <c>true</c> when the SDK mints the trace's span ids (no ended ids kept): a parent id that is not open is then
    /// one of the trace's ended spans.
    /// </summary>
    public bool MintsIds => endedIds.IsNotKept;

    /// <summary><c>true</c> when a span with this id ended while the trace was open.</summary>
    public bool HasEnded(SpanId id)
    {
        if (endedIds.IsNotKept) return false;
        for (var i = Ended.Count - Ended.Count % EndedIds.Run; i < Ended.Count; i++)
            if (Ended[i].Id == id) return true;
        return endedIds.Contains(id);
    }

    /// <summary>The next state: other trace fields, one more event folded.</summary>
    public OpenTrace WithHead(TraceRecord head) => new(null, head, Ended, OpenSpans, endedIds, Version + 1);

    /// <summary>
    /// The next state: other open spans, and <paramref name="folded"/> more events folded (a span's start counts one; a
    /// span-local event counts in its span, not here; a late span's end counts one plus the events that span folded).
    /// </summary>
    public OpenTrace WithOpenSpans(SpanTable openSpans, int folded = 1) => new(start, head, Ended, openSpans, endedIds, Version + folded);

    /// <summary>
    /// The trace as it ends at <paramref name="at"/> (never before it started), with the spans that ended before it; an
    /// unset status becomes COMPLETED.
    /// </summary>
    public TraceRecord End(DateTimeOffset at)
    {
        if (head is null) return TraceReducer.TraceAt(start!, TraceReducer.Later(start!.At, at), Ended);   // one record
        var fields = head;
        return fields with
        {
            EndedAt = TraceReducer.Later(fields.StartedAt, at),
            Status = fields.StatusIsExplicit ? fields.Status : TraceStatus.Completed,
            Spans = Ended,
        };
    }

    /// <summary>The next state: the trace ended (its ended spans are no longer kept), one more event folded.</summary>
    public OpenTrace Ending(TraceRecord ended) => new(null, ended with { Spans = default }, default, OpenSpans, default, Version + 1);

    /// <summary>
    /// The next state: <paramref name="span"/> ended while the trace was open; its end and the <paramref name="spanEvents"/>
    /// events the span folded are counted here from now on.
    /// </summary>
    public OpenTrace WithEnded(Span span, SpanTable openSpans, int spanEvents)
    {
        var all = Ended.Add(span);
        var ids = all.Count % EndedIds.Run == 0 ? endedIds.With(all, all.Count - EndedIds.Run) : endedIds;
        return new OpenTrace(start, head, all, openSpans, ids, Version + 1 + spanEvents);
    }

    /// <summary>Equal when the trace fields, the ended spans, the open spans and the event count are equal.</summary>
    public bool Equals(OpenTrace? other) =>
        ReferenceEquals(this, other) || other is not null && Version == other.Version && Equals(Head, other.Head)
        && Ended.Equals(other.Ended) && OpenSpans.Equals(other.OpenSpans);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Head, Ended, OpenSpans, Version);
}
