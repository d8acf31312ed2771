namespace PandaProbe.Properties.Checks;

/// <summary>
/// The invariants of one <see cref="TraceState"/>, each as a function returning its violations (empty when it holds).
/// Derived from the reducer: a trace in the state is open, or ended with open (late) spans; its ended spans are in
/// <see cref="TraceRecord.Spans"/> only while it is open; span ids are unique within a trace; while the trace is open, every
/// span's parent (open or ended) is a span of the same trace; parent links never form a cycle; no span or trace ends
/// before it starts. Once a trace has ended, a late span that ends leaves the state, so a remaining late span's parent
/// may be gone; <see cref="OutputLedger"/> checks instead that every parent had started when its child started.
/// </summary>
internal static class StateInvariants
{
    /// <summary>Every violation in <paramref name="state"/>.</summary>
    public static IEnumerable<string> Violations(TraceState state)
    {
        if (state is null) { yield return "state is null"; yield break; }
        foreach (var (id, open) in state.Open)
            foreach (var v in OfTrace(id, open)) yield return $"trace {id}: {v}";
    }

    static IEnumerable<string> OfTrace(TraceId id, OpenTrace open)
    {
        var trace = open.Trace;
        if (trace.Id != id) yield return $"is stored under another id ({trace.Id})";
        if (!trace.IsOpen && open.OpenSpans.IsEmpty) yield return "ended with no open spans but is still in the state";
        foreach (var v in TimeAndLimits.TimeOfTrace(trace)) yield return v;
        foreach (var (key, openSpan) in open.OpenSpans)
        {
            var span = openSpan.State.Value;
            if (span.Id != key) yield return $"open span stored under {key} has id {span.Id}";
            if (!span.IsOpen) yield return $"span {key} is in OpenSpans but has ended";
        }
        foreach (var span in trace.Spans)
            if (span.IsOpen) yield return $"span {span.Id} is in Trace.Spans but is open";
        var all = trace.Spans.Concat(open.OpenSpans.Values.Select(o => o.State.Value)).ToList();
        foreach (var span in all)
        {
            if (span.Trace != id) yield return $"span {span.Id} belongs to trace {span.Trace}";
            foreach (var v in TimeAndLimits.TimeOfSpan(span)) yield return $"span {span.Id}: {v}";
        }
        foreach (var dup in all.GroupBy(s => s.Id).Where(g => g.Count() > 1))
            yield return $"span id {dup.Key} appears {dup.Count()} times";
        var ids = all.Select(s => s.Id).ToHashSet();
        if (trace.IsOpen)
            foreach (var span in all)
                if (span.Parent is { } p && !ids.Contains(p))
                    yield return $"span {span.Id} has parent {p}, which is not a span of the trace";
        if (Cycle(all) is { } cycle) yield return $"parent cycle through span {cycle}";
    }

    /// <summary>A span on a parent cycle among <paramref name="spans"/> (following parent links by id), if any.</summary>
    public static SpanId? Cycle(IEnumerable<Span> spans)
    {
        var parents = spans.ToLookup(s => s.Id, s => s.Parent);
        foreach (var start in parents.Select(g => g.Key))
        {
            var seen = new System.Collections.Generic.HashSet<SpanId>();
            var frontier = new Stack<SpanId>([start]);
            while (frontier.Count > 0)
            {
                var id = frontier.Pop();
                foreach (var parent in parents[id])
                    if (parent is { } p)
                    {
                        if (p == start) return start;
                        if (seen.Add(p)) frontier.Push(p);
                    }
            }
        }
        return null;
    }
}
