using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties.Checks;

/// <summary>
/// A deliberately simple reference for one trace's well-formed script (every event accepted, span ids unique), written
/// as queries over the script instead of a fold: the last set of a replaced field wins, merged maps are a dictionary
/// fold, an unset span status ends OK, a trace without an explicit status ends COMPLETED, errors set ERROR and keep
/// the last error, end times are never before start times, and names and short texts are kept as given (a missing name is empty): fitting them is the enrichment's work.
/// </summary>
internal static class Reference
{
    /// <summary>The completed trace and the late spans (in end order) a one-trace script must produce.</summary>
    public sealed record Expected(TraceRecord Trace, IReadOnlyList<Span> LateSpans);

    /// <summary>The expected result of <paramref name="script"/> (one trace, started first).</summary>
    public static Expected Of(IReadOnlyList<TraceEvent> script)
    {
        var start = script.OfType<TraceStarted>().Single();
        var endIndex = IndexOf(script, e => e is TraceEnded);
        var ends = script.Select((e, i) => (e, i)).Where(x => x.e is SpanEnded).ToList();
        var before = ends.Where(x => x.i < endIndex).Select(x => ExpectedSpan(script, ((SpanEnded)x.e).Span)).ToSeq().Strict();
        var late = ends.Where(x => x.i > endIndex).Select(x => ExpectedSpan(script, ((SpanEnded)x.e).Span)).ToList();
        return new Expected(ExpectedTrace(script, start, (TraceEnded)script[endIndex]) with { Spans = before }, late);
    }

    /// <summary>The events that target the trace itself (not a span), other than its start and end.</summary>
    public static IEnumerable<TraceEvent> TraceSetters(IEnumerable<TraceEvent> script, TraceId id) =>
        script.Where(e => e is not null && e.Trace == id && e.Target is null && e is not (TraceStarted or TraceEnded or ScoreRecorded));

    /// <summary>The events that target one span, other than its start and end.</summary>
    public static IEnumerable<TraceEvent> SpanSetters(IEnumerable<TraceEvent> script, SpanId id) =>
        script.Where(e => e is not null && e.Target == id && e is not (SpanStarted or SpanEnded));

    /// <summary>The span a one-trace script must complete for <paramref name="id"/>.</summary>
    public static Span ExpectedSpan(IReadOnlyList<TraceEvent> script, SpanId id)
    {
        var start = script.OfType<SpanStarted>().Single(s => s.Span == id);
        var end = script.OfType<SpanEnded>().Single(s => s.Span == id);
        var mine = SpanSetters(script, id).ToList();
        var model = mine.OfType<ModelSet>().Select(m => m.Model).DefaultIfEmpty(start.Model).Last();
        var status = mine.LastOrDefault(e => e is Errored or SpanStatusSet) switch
        {
            Errored => SpanStatus.Error,
            SpanStatusSet s => s.Status,
            _ => SpanStatus.Unset,
        };
        return new Span
        {
            Id = id,
            Trace = start.Trace,
            Parent = start.Parent,
            Name = start.Name ?? string.Empty,
            Kind = start.Kind,
            StartedAt = start.At,
            EndedAt = Max(start.At, end.At),
            Status = status == SpanStatus.Unset ? SpanStatus.Ok : status,
            Model = model,
            Input = Last(mine.OfType<InputSet>().Select(e => e.Input)),
            Output = Last(mine.OfType<OutputSet>().Select(e => e.Output)),
            Tokens = Last(mine.OfType<TokensSet>().Select(e => e.Tokens)),
            Cost = Last(mine.OfType<CostSet>().Select(e => e.Cost)),
            ModelParameters = LastValue(mine.OfType<ModelParametersSet>().Select(e => e.Parameters)),
            CompletionStartTime = LastValue(mine.OfType<CompletionStartSet>().Select(e => e.CompletionStart)),
            Error = Last(mine.OfType<Errored>().Select(e => e.Error)),
            Metadata = DictionaryFold(start.Metadata, mine.OfType<MetadataMerged>().Select(m => (m.Metadata, false))),
            Params = DictionaryFold(default, mine.OfType<ParamsRegistered>().Select(p => (p.Params, p.Overwrite))),
            Logs = mine.OfType<Logged>().Select(l => new LogEntry(l.At, l.Data)).ToSeq().Strict(),
        };
    }

    static TraceRecord ExpectedTrace(IReadOnlyList<TraceEvent> script, TraceStarted start, TraceEnded end)
    {
        var mine = TraceSetters(script, start.Trace).ToList();
        var statusEvent = mine.LastOrDefault(e => e is Errored or TraceStatusSet);
        return new TraceRecord
        {
            Id = start.Trace,
            Name = mine.OfType<TraceRenamed>().Where(n => n.Name is not null).Select(n => n.Name).LastOrDefault() ?? start.Name ?? string.Empty,
            StartedAt = start.At,
            EndedAt = Max(start.At, end.At),
            Status = statusEvent switch { Errored => TraceStatus.Error, TraceStatusSet s => s.Status, _ => TraceStatus.Completed },
            StatusIsExplicit = statusEvent is not null,
            Input = Last(mine.OfType<InputSet>().Select(e => e.Input).Prepend(start.Input).OfType<Payload>()),
            Output = Last(mine.OfType<OutputSet>().Select(e => e.Output)),
            Metadata = DictionaryFold(start.Metadata, mine.OfType<MetadataMerged>().Select(m => (m.Metadata, false))),
            Params = DictionaryFold(default, mine.OfType<ParamsRegistered>().Select(p => (p.Params, p.Overwrite))),
            Logs = mine.OfType<Logged>().Select(l => new LogEntry(l.At, l.Data)).ToSeq().Strict(),
            Error = Last(mine.OfType<Errored>().Select(e => e.Error)),
            SessionId = start.SessionId,
            UserId = start.UserId,
            Environment = start.Environment,
            Release = start.Release,
            Tags = start.Tags,
            ParentTrace = start.ParentTrace,
        };
    }

    /// <summary>Applies merges (or, when flagged, replacements) to a mutable dictionary, then returns it as a map.</summary>
    public static Map<string, Payload> DictionaryFold(Map<string, Payload> initial, IEnumerable<(Map<string, Payload> Entries, bool Replace)> changes)
    {
        var d = initial.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (entries, replace) in changes)
        {
            if (replace) d.Clear();
            foreach (var (k, v) in entries) d[k] = v;
        }
        return d.Aggregate(Map<string, Payload>(), (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));
    }

    static T? Last<T>(IEnumerable<T> values) where T : class => values.LastOrDefault();

    static T? LastValue<T>(IEnumerable<T> values) where T : struct => values.Select(static v => (T?)v).LastOrDefault();

    static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => b < a ? a : b;

    static int IndexOf(IReadOnlyList<TraceEvent> script, Func<TraceEvent, bool> match)
    {
        for (var i = 0; i < script.Count; i++) if (match(script[i])) return i;
        return -1;
    }
}
