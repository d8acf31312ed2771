using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Model;

/// <summary>
/// The reducer of one open span: <c>(span, span-local event) → (next span, output)</c>, one match over the events that
/// change a single open span's fields (input, output, model, token usage, cost, model parameters, completion start,
/// metadata, error, status, parameters, log lines). Pure and total like <see cref="TraceReducer"/>: an event for a span
/// that is not open, or without its value, becomes an <see cref="Output.Rejected"/> output and leaves the span as it
/// was. Starting and ending a span change the trace's set of spans, so they are the trace's events
/// (<see cref="TraceReducer"/>). What an accepted event does to the span's fields is <see cref="SpanChanges"/>.
/// </summary>
internal static class SpanReducer
{
    /// <summary>Applies one span-local event to one span.</summary>
    /// <param name="span">The span before the event; <c>null</c> when it is not open.</param>
    /// <param name="e">The event.</param>
    /// <param name="id">The span the event targets.</param>
    /// <returns>The span's next state (the same object when the event was refused) and the output, if any.</returns>
    public static SpanStep Apply(OpenSpan? span, TraceEvent e, SpanId id)
    {
        if (span is null) return Reject(span, e, RejectionReason.SpanNotOpen, $"span {id} is not open");
        var valid = e switch
        {
            InputSet or OutputSet or ModelSet or ModelParametersSet or CompletionStartSet or MetadataMerged
                or SpanStatusSet or ParamsRegistered or Logged => true,
            TokensSet t => t.Tokens is not null,
            CostSet c => c.Cost is not null,
            Errored x => x.Error is not null,
            _ => (bool?)null,
        };
        return valid switch
        {
            true => new SpanStep(span.With(e), null),
            false => Reject(span, e, RejectionReason.InvalidValue, $"{e.GetType().Name} carries no value"),
            null => Reject(span, e, RejectionReason.InvalidValue, $"{e.GetType().Name} is not a span-local event"),
        };
    }

    static SpanStep Reject(OpenSpan? span, TraceEvent e, RejectionReason reason, string detail) =>
        new(span, new Output.Rejected(e, reason, detail));
}

/// <summary>The result of one span reducer step: the span's next state and at most one output (a rejection).</summary>
/// <param name="State">The span after the event (the same object when it was refused).</param>
/// <param name="Output">A rejection, or null.</param>
internal readonly record struct SpanStep(OpenSpan? State, Output? Output);

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
    public static Span Apply(SpanStarted? started, Span? span, ReadOnlySpan<TraceEvent> events, DateTimeOffset? endedAt)
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
