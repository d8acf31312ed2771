using PandaProbe.Model;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Cli.Files;

/// <summary>
/// Every trace of one or more files, with late spans joined to their trace and the scores beside them, plus the
/// lines that were not records. A trace that continues another process's trace (<see cref="Trace.ContinuationSpan"/>,
/// from that process's file) joins it as the platform shows it: its stand-in span under the calling span, its spans
/// beneath; without the upstream trace among the files it stays a trace of its own. For commands that need the whole set at once (<c>view</c>, <c>tree</c>); the others
/// stream <see cref="TraceFileReader.Read(string)"/>.
/// </summary>
internal sealed record TraceCollection(IReadOnlyList<Trace> Traces, IReadOnlyList<Score> Scores, IReadOnlyList<(string File, BadLine Line)> Problems)
{
    /// <summary>Reads <paramref name="paths"/> in order.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public static TraceCollection Load(IEnumerable<string> paths)
    {
        var traces = new List<Trace>();
        var index = new Dictionary<TraceId, int>();
        var scores = new List<Score>();
        var problems = new List<(string, BadLine)>();
        var orphans = new Dictionary<TraceId, List<Span>>();   // late spans read before their trace (several files)
        var joined = new Dictionary<TraceId, List<Span>>();    // continuations' spans, kept across a trace written twice
        void Join(int at, IEnumerable<Span> spans) => traces[at] = traces[at] with { Spans = traces[at].Spans.Concat(spans).ToSeq().Strict() };
        foreach (var path in paths)
        {
            foreach (var item in TraceFileReader.Read(path))
            {
                switch (item)
                {
                    case TraceItem { Trace: { ContinuationSpan: not null } continuation }:
                        var standIn = new[] { Continuation.StandIn(continuation) }.Concat(continuation.Spans).ToList();
                        if (!joined.TryGetValue(continuation.Id, out var spans)) joined[continuation.Id] = spans = [];
                        spans.AddRange(standIn);
                        if (index.TryGetValue(continuation.Id, out var upstream)) Join(upstream, standIn);
                        break;
                    case TraceItem { Trace: var trace }:
                        if (orphans.Remove(trace.Id, out var early)) trace = trace with { Spans = trace.Spans.Concat(early).ToSeq().Strict() };
                        if (joined.TryGetValue(trace.Id, out var continued)) trace = trace with { Spans = trace.Spans.Concat(continued).ToSeq().Strict() };
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
        // Continuations whose upstream trace is in none of the files: each such trace is shown on its own, built from them.
        foreach (var (id, spans) in joined)
        {
            if (index.ContainsKey(id)) continue;
            var first = spans[0];
            traces.Add(new Trace
            {
                Id = id, Name = first.Name, StartedAt = first.StartedAt, EndedAt = first.EndedAt, Input = first.Input,
                Output = first.Output, Status = first.Status == SpanStatus.Error ? TraceStatus.Error : TraceStatus.Completed,
                Metadata = first.Metadata, Error = first.Error, Spans = spans.Skip(1).ToSeq().Strict(),
                ContinuationSpan = first.Id, ContinuationParent = first.Parent,
            });
        }
        return new TraceCollection(traces, scores, problems);
    }
}
