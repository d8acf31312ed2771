using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// A span that has started and not ended, as the reducer keeps it: the span as it started plus the span-local events
/// accepted since (newest first). Its <see cref="Value"/> is built from them when read, once, when the span ends, so
/// an update costs one small node instead of a copy of the whole span. Every <see cref="CompactAfter"/> changes the
/// events are folded into a new start, which bounds both the work of a read and what a span holds on to (a value that
/// was replaced is let go).
/// </summary>
internal sealed class OpenSpan : IEquatable<OpenSpan>
{
    /// <summary>How many events a span keeps before they are folded into its value.</summary>
    internal const int CompactAfter = 16;

    readonly Span started;
    readonly TraceEvent? change;
    readonly OpenSpan? before;
    readonly int changes;

    OpenSpan(Span started, TraceEvent? change, OpenSpan? before, int changes)
    {
        this.started = started;
        this.change = change;
        this.before = before;
        this.changes = changes;
    }

    /// <summary>A span that has just started.</summary>
    public static OpenSpan Start(Span span) => new(span, null, null, 0);

    /// <summary>The span's id.</summary>
    public SpanId Id => started.Id;

    /// <summary>The span now: as it started, with every accepted event applied in order.</summary>
    public Span Value => changes == 0 ? started : SpanChanges.Apply(started, Changes(), null);

    /// <summary>This span after one more span-local event (already accepted by the reducer).</summary>
    public OpenSpan With(TraceEvent e) =>
        changes + 1 >= CompactAfter ? Start(SpanChanges.Apply(started, Changes(e), null)) : new(started, e, this, changes + 1);

    /// <summary>The span as it ends at <paramref name="at"/>: every event applied, the end time and final status set.</summary>
    public Span End(DateTimeOffset at) => SpanChanges.Apply(started, Changes(), at);

    /// <summary>The events accepted since the start, oldest first, then <paramref name="next"/> when given.</summary>
    TraceEvent[] Changes(TraceEvent? next = null)
    {
        var all = new TraceEvent[changes + (next is null ? 0 : 1)];
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
    /// <paramref name="span"/> with <paramref name="events"/> applied in order, built as one new value; with
    /// <paramref name="endedAt"/>, also ended then (never before it started).
    /// </summary>
    public static Span Apply(Span span, TraceEvent[] events, DateTimeOffset? endedAt)
    {
        var (input, output, model, tokens, cost) = (span.Input, span.Output, span.Model, span.Tokens, span.Cost);
        var (parameters, completionStart, error, status) = (span.ModelParameters, span.CompletionStartTime, span.Error, span.Status);
        var (metadata, registered, logs) = (span.Metadata, span.Params, span.Logs);
        foreach (var e in events)
        {
            switch (e)
            {
                case InputSet i: input = Some(i.Input ?? Payload.Null); break;
                case OutputSet o: output = Some(o.Output ?? Payload.Null); break;
                case ModelSet m: model = m.Model is null ? None : Some(m.Model); break;
                case TokensSet t: tokens = Some(t.Tokens); break;
                case CostSet c: cost = Some(c.Cost); break;
                case ModelParametersSet p: parameters = Some(p.Parameters); break;
                case CompletionStartSet c: completionStart = Some(c.CompletionStart); break;
                case MetadataMerged m: metadata = TraceReducer.Merge(metadata, m.Metadata); break;
                case Errored x: (error, status) = (Some(x.Error), SpanStatus.Error); break;
                case SpanStatusSet s: status = s.Status; break;
                case ParamsRegistered p: registered = p.Overwrite ? p.Params : TraceReducer.Merge(registered, p.Params); break;
                case Logged l: logs = logs.Add(new LogEntry(l.At, l.Data ?? Payload.Null)); break;
            }
        }
        return span with
        {
            Input = input, Output = output, Model = model, Tokens = tokens, Cost = cost, ModelParameters = parameters,
            CompletionStartTime = completionStart, Error = error, Metadata = metadata, Params = registered, Logs = logs,
            Status = endedAt is null ? status : status == SpanStatus.Unset ? SpanStatus.Ok : status,
            EndedAt = endedAt is { } end ? Some(end < span.StartedAt ? span.StartedAt : end) : span.EndedAt,
        };
    }
}
