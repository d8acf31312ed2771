using PandaProbe.Model;

namespace PandaProbe.Cli.Files;

/// <summary>
/// Every trace of one or more files, with late spans joined to their trace and the scores beside them, plus the
/// lines that were not records. For commands that need the whole set at once (<c>view</c>, <c>tree</c>); the others
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
        foreach (var path in paths)
        {
            foreach (var item in TraceFileReader.Read(path))
            {
                switch (item)
                {
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
        return new TraceCollection(traces, scores, problems);
    }
}
