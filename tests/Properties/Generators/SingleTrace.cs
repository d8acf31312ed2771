using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties.Generators;

/// <summary>
/// The interpreter of a one-trace plan. Each step byte picks an operation (byte mod <see cref="OpCount"/>) and
/// moves the clock; later bytes choose the operation's arguments. Only events the reducer must accept are produced:
/// spans start under open parents while the trace is open, setters target open spans (or the open trace) and
/// sometimes come in bursts on one target, spans end leaves first, and the trace ends last; with <c>late</c> it ends
/// whenever the plan says, or at the plan's end, and the spans still open end after it.
/// </summary>
sealed class SingleTrace(byte[]? plan, ClockMode mode, int traceIndex, bool late)
{
    const int OpCount = 18;
    readonly PlanReader r = new(plan);
    readonly ScriptClock clock = new(mode, Values.Epoch.AddMinutes(traceIndex));
    readonly TraceId trace = Ids.Trace(traceIndex);
    readonly List<TraceEvent> events = [];
    readonly List<SpanId> open = [];
    readonly Dictionary<SpanId, SpanId?> parents = [];
    int spanCount;
    bool traceEnded;

    public List<TraceEvent> Run()
    {
        events.Add(new TraceStarted(trace, Values.Name(r)!, clock.Now, Values.Payload(r), Values.ShortText(r), Values.ShortText(r),
            Seq1("agent"), Values.Entries(r), Values.ShortText(r), Values.ShortText(r)));
        while (r.More)
        {
            var b = r.Next();
            Step(b % OpCount, clock.Tick(b));
        }
        if (late && !traceEnded) EndTrace(clock.Tick(1));
        while (Leaf() is { } leaf) EndSpan(leaf, clock.Tick(2));
        if (!traceEnded) EndTrace(clock.Tick(3));
        return events;
    }

    void Step(int op, DateTimeOffset at)
    {
        switch (op)
        {
            case 0 or 1 or 2 when !traceEnded:
                var parent = r.Next(open.Count + 1) is var k && k == 0 ? (SpanId?)null : open[k - 1];
                var span = Ids.Span(traceIndex, spanCount++);
                events.Add(new SpanStarted(trace, span, parent, Values.Name(r)!, Values.Kind(r), at,
                    r.Next(3) == 0 ? Values.ShortText(r) : null, Values.Entries(r)));
                open.Add(span);
                parents[span] = parent;
                break;
            case 3 or 4:
                var leaves = open.Where(IsLeaf).ToList();
                if (leaves.Count > 0) EndSpan(leaves[r.Next(leaves.Count)], at);
                break;
            case 5: Either(s => new InputSet(trace, s, Values.Payload(r), at)); break;
            case 6: Either(s => new OutputSet(trace, s, Values.Payload(r), at)); break;
            case 7: SpanOnly(s => new ModelSet(trace, s, Values.Model(r), at)); break;
            case 8: SpanOnly(s => new TokensSet(trace, s, Values.Tokens(r), at)); break;
            case 9: SpanOnly(s => new CostSet(trace, s, Values.Cost(r), at)); break;
            case 10: SpanOnly(s => new ModelParametersSet(trace, s, Values.Entries(r), at)); break;
            case 11: SpanOnly(s => new CompletionStartSet(trace, s, at.AddMilliseconds(r.Next(5)), at)); break;
            case 12: Either(s => new MetadataMerged(trace, s, Values.Entries(r), at)); break;
            case 13: Either(s => new Errored(trace, s, Values.Error(r), at)); break;
            case 14:
                Either(s => s is { } id
                    ? new SpanStatusSet(trace, id, (SpanStatus)r.Next(3), at)
                    : r.Next(3) == 0 ? new TraceRenamed(trace, Values.Name(r) ?? "renamed", at)
                    : new TraceStatusSet(trace, (TraceStatus)r.Next(4), at));
                break;
            case 15: Either(s => new ParamsRegistered(trace, s, Values.Entries(r), r.Next(2) == 0, at)); break;
            case 16: Either(s => new Logged(trace, s, Values.Payload(r), at)); break;
            case 17 when late && !traceEnded: EndTrace(at); break;
            case 17: Either(s => new Logged(trace, s, Values.Payload(r), at)); break;
        }
    }

    /// <summary>A setter on an open span or, while the trace is open, on the trace itself (a null span).</summary>
    void Either(Func<SpanId?, TraceEvent> make)
    {
        if (traceEnded)
        {
            if (open.Count > 0) Burst(make, open[r.Next(open.Count)]);
            return;
        }
        var k = r.Next(open.Count + 1);
        Burst(make, k == 0 ? null : open[k - 1]);
    }

    void SpanOnly(Func<SpanId, TraceEvent> make)
    {
        if (open.Count > 0) Burst(id => make(id!.Value), open[r.Next(open.Count)]);
    }

    /// <summary>One set, or (one time in three) a burst of two or three sets on the same target with fresh values.</summary>
    void Burst(Func<SpanId?, TraceEvent> make, SpanId? target)
    {
        var count = r.Next(3) == 0 ? 2 + r.Next(2) : 1;
        for (var i = 0; i < count; i++) events.Add(make(target));
    }

    bool IsLeaf(SpanId span) => !open.Any(o => parents[o] == span);

    SpanId? Leaf() => open.Count == 0 ? null : open.Last(IsLeaf);

    void EndSpan(SpanId span, DateTimeOffset at)
    {
        events.Add(new SpanEnded(trace, span, at));
        open.Remove(span);
    }

    void EndTrace(DateTimeOffset at)
    {
        events.Add(new TraceEnded(trace, at));
        traceEnded = true;
    }
}
