using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// A span that has started and not ended, as the reducer keeps it: its start (the start event, or a span value once
/// events were folded into it) plus the span-local events accepted since (newest first). Its <see cref="Value"/> is
/// built from them when read, in one record, once, when the span ends, so neither a start nor an update copies a
/// whole span. Every <see cref="CompactAfter"/> changes the events are folded into a new start, which bounds both the
/// work of a read and what a span holds on to (a value that was replaced is let go).
/// </summary>
internal sealed class OpenSpan : IEquatable<OpenSpan>
{
    /// <summary>How many events a span keeps before they are folded into its value.</summary>
    internal const int CompactAfter = 16;

    readonly SpanStarted? started;   // the start, until the first compaction
    readonly Span? folded;           // the span with the events before the compaction applied, after it
    readonly TraceEvent? change;
    readonly OpenSpan? before;
    readonly int changes;

    OpenSpan(SpanStarted? started, Span? folded, TraceEvent? change, OpenSpan? before, int changes)
    {
        this.started = started;
        this.folded = folded;
        this.change = change;
        this.before = before;
        this.changes = changes;
    }

    /// <summary>A span that has just started.</summary>
    public static OpenSpan Start(SpanStarted start) => new(start, null, null, null, 0);

    /// <summary>A span that starts as <paramref name="span"/> (for the reducer's tests and compaction).</summary>
    public static OpenSpan Of(Span span) => new(null, span, null, null, 0);

    /// <summary>The span's id.</summary>
    public SpanId Id => started?.Span ?? folded!.Id;

    /// <summary>The span now: as it started, with every accepted event applied in order.</summary>
    public Span Value => SpanChanges.Apply(started, folded, Changes(), null);

    /// <summary>This span after one more span-local event (already accepted by the reducer).</summary>
    public OpenSpan With(TraceEvent e) =>
        changes + 1 >= CompactAfter ? Of(SpanChanges.Apply(started, folded, Changes(e), null)) : new(started, folded, e, this, changes + 1);

    /// <summary>The span as it ends at <paramref name="at"/>: every event applied, the end time and final status set.</summary>
    public Span End(DateTimeOffset at) => SpanChanges.Apply(started, folded, Changes(), at);

    /// <summary>The events accepted since the start, oldest first, then <paramref name="next"/> when given.</summary>
    TraceEvent[] Changes(TraceEvent? next = null)
    {
        var count = changes + (next is null ? 0 : 1);
        if (count == 0) return [];
        var all = new TraceEvent[count];
        if (next is not null) all[^1] = next;
        var i = changes - 1;
        for (var node = this; node is not null && i >= 0; node = node.before, i--) all[i] = node.change!;
        return all;
    }

    /// <summary>Equal when the spans are equal now.</summary>
    public bool Equals(OpenSpan? other) => ReferenceEquals(this, other) || other is not null && Value.Equals(other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as OpenSpan);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();
}

/// <summary>
/// What each span-local event does to a span, as one pure function: input, output, model, token usage, cost, model
/// parameters and completion start replace; metadata and parameters merge (or parameters are replaced when asked);
/// an error sets ERROR and keeps the error; a status is set as given; a log line is appended. At the end an unset
/// status becomes OK.
/// </summary>
internal static class SpanChanges
{
    /// <summary>
    /// The span that <paramref name="started"/> (or, when it is null, <paramref name="span"/>) begins, with
    /// <paramref name="events"/> applied in order, built as one new value; with <paramref name="endedAt"/>, also ended
    /// then (never before it started).
    /// </summary>
    public static Span Apply(SpanStarted? started, Span? span, TraceEvent[] events, DateTimeOffset? endedAt)
    {
        var basis = span ?? Empty;
        var (input, output, tokens, cost) = (basis.Input, basis.Output, basis.Tokens, basis.Cost);
        var (parameters, completionStart, error, status) = (basis.ModelParameters, basis.CompletionStartTime, basis.Error, basis.Status);
        var (registered, logs) = (basis.Params, basis.Logs);
        var model = started is null ? basis.Model : started.Model;
        var metadata = started is null ? basis.Metadata : started.Metadata;
        foreach (var e in events)
        {
            switch (e)
            {
                case InputSet i: input = i.Input ?? Payload.Null; break;
                case OutputSet o: output = o.Output ?? Payload.Null; break;
                case ModelSet m: model = m.Model; break;
                case TokensSet t: tokens = t.Tokens; break;
                case CostSet c: cost = c.Cost; break;
                case ModelParametersSet p: parameters = p.Parameters; break;
                case CompletionStartSet c: completionStart = c.CompletionStart; break;
                case MetadataMerged m: metadata = TraceReducer.Merge(metadata, m.Metadata); break;
                case Errored x: (error, status) = (x.Error, SpanStatus.Error); break;
                case SpanStatusSet s: status = s.Status; break;
                case ParamsRegistered p: registered = p.Overwrite ? p.Params : TraceReducer.Merge(registered, p.Params); break;
                case Logged l: logs = logs.Add(new LogEntry(l.At, l.Data ?? Payload.Null)); break;
            }
        }
        var startedAt = started?.At ?? basis.StartedAt;
        return new Span
        {
            Id = started?.Span ?? basis.Id,
            Trace = started?.Trace ?? basis.Trace,
            Parent = started is null ? basis.Parent : started.Parent,
            Name = started is null ? basis.Name : started.Name ?? string.Empty,
            Kind = started?.Kind ?? basis.Kind,
            StartedAt = startedAt,
            Input = input, Output = output, Model = model, Tokens = tokens, Cost = cost, ModelParameters = parameters,
            CompletionStartTime = completionStart, Error = error, Metadata = metadata, Params = registered, Logs = logs,
            Status = endedAt is null ? status : status == SpanStatus.Unset ? SpanStatus.Ok : status,
            EndedAt = endedAt is { } end ? TraceReducer.Later(startedAt, end) : basis.EndedAt,
        };
    }

    /// <summary>The fields of a span that has none set (its identity comes from the start event).</summary>
    static readonly Span Empty = new() { Id = default, Trace = default, Name = string.Empty, StartedAt = default };
}
