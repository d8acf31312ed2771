using PandaProbe.Model;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Cli.Files;

/// <summary>
/// Every trace of one or more files, with late spans joined to their trace and the scores beside them, plus the
/// lines that were not records. A trace that continues another process's trace (<see cref="TraceRecord.ContinuationSpan"/>,
/// from that process's file) joins it as the platform shows it: its stand-in span under the calling span, its spans
/// beneath; without the upstream trace among the files the first continuation read stands for the trace, with the
/// others beneath it. For commands that need the whole set at once (<c>view</c>, <c>tree</c>); the others
/// stream <see cref="TraceFileReader.Read(string)"/>.
/// </summary>
internal sealed record TraceCollection(IReadOnlyList<TraceRecord> Traces, IReadOnlyList<Score> Scores, IReadOnlyList<(string File, BadLine Line)> Problems)
{
    /// <summary>Reads <paramref name="paths"/> in order.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static TraceCollection Load(IEnumerable<string> paths)
    {
        var traces = new List<TraceRecord>();
        var index = new Dictionary<TraceId, int>();
        var scores = new List<Score>();
        var problems = new List<(string, BadLine)>();
        var orphans = new Dictionary<TraceId, List<Span>>();   // late spans read before their trace (several files)
        // Continuations by trace, then by the span that stands for each (a continuation written twice counts once).
        var joined = new Dictionary<TraceId, Dictionary<SpanId, TraceRecord>>();
        foreach (var path in paths)
        {
            foreach (var item in TraceFileReader.Read(path))
            {
                switch (item)
                {
                    case TraceItem { Trace: { ContinuationSpan: { } standIn } continuation }:
                        if (!joined.TryGetValue(continuation.Id, out var byStandIn)) joined[continuation.Id] = byStandIn = [];
                        byStandIn[standIn] = continuation;   // written twice: the later one wins
                        break;
                    case TraceItem { Trace: var trace }:
                        if (orphans.Remove(trace.Id, out var early)) trace = trace with { Spans = trace.Spans.Concat(early).ToSeq().Strict() };
                        if (index.TryGetValue(trace.Id, out var at)) traces[at] = trace;   // written twice: the later one wins
                        else { index[trace.Id] = traces.Count; traces.Add(trace); }
                        break;
                    case LateSpansItem late:
                        if (index.TryGetValue(late.Trace, out var i))
                            traces[i] = traces[i] with { Spans = traces[i].Spans.Concat(late.Spans).ToSeq().Strict() };
                        else
                        {
                            if (!orphans.TryGetValue(late.Trace, out var list)) orphans[late.Trace] = list = [];
                            list.AddRange(late.Spans);
                        }
                        break;
                    case ScoreItem score:
                        scores.Add(score.Score);
                        break;
                    case BadLine bad:
                        problems.Add((path, bad));
                        break;
                }
            }
        }
        foreach (var (id, byStandIn) in joined)
        {
            if (index.TryGetValue(id, out var at))
            {
                var spans = byStandIn.Values.SelectMany(c => c.Spans.Prepend(Continuation.StandIn(c)));
                traces[at] = traces[at] with { Spans = traces[at].Spans.Concat(spans).ToSeq().Strict() };
                continue;
            }
            // The upstream trace is in none of the files: the first continuation read is shown as the trace, the others
            // (and late spans of the trace, which wait in the orphans) beneath it.
            var first = byStandIn.Values.First();
            var rest = byStandIn.Values.Skip(1).SelectMany(c => c.Spans.Prepend(Continuation.StandIn(c)))
                .Concat(orphans.Remove(id, out var late) ? late : []);
            index[id] = traces.Count;
            traces.Add(first with { Spans = first.Spans.Concat(rest).ToSeq().Strict() });
        }
        return new TraceCollection(traces, scores, problems);
    }
}
