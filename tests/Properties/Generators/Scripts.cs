using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties.Generators;

/// <summary>
/// The interpreter from plans to event scripts. It is total: any byte array gives a script of the promised shape.
/// <list type="bullet">
/// <item><see cref="WellFormed"/>: one trace, a random span tree, random setters on open spans and the trace, spans
/// ended leaves first, the trace ended last. The reducer accepts every event.</item>
/// <item><see cref="WithLateSpans"/>: the same, but the trace ends while spans are open; they get setters and end
/// afterwards (late spans).</item>
/// <item><see cref="IllFormed"/>: random events over a small pool of trace and span ids, including nulls.</item>
/// <item><see cref="Interleave"/>: several independent well-formed traces merged, each keeping its own order.</item>
/// </list>
/// </summary>
internal static class Scripts
{
    /// <summary>The kinds of script <see cref="Any"/> can produce.</summary>
    public const int KindCount = 6;

    /// <summary>A well-formed script for trace number <paramref name="trace"/>.</summary>
    public static IReadOnlyList<TraceEvent> WellFormed(byte[]? plan, ClockMode clock = ClockMode.Increasing, int trace = 0) =>
        new SingleTrace(plan, clock, trace, late: false).Run();

    /// <summary>A script whose trace ends while spans are still open; those spans end after it.</summary>
    public static IReadOnlyList<TraceEvent> WithLateSpans(byte[]? plan, ClockMode clock = ClockMode.Increasing, int trace = 0) =>
        new SingleTrace(plan, clock, trace, late: true).Run();

    /// <summary>Well-formed scripts of independent traces (numbered from 0), merged by the choices in <paramref name="merge"/>.</summary>
    public static IReadOnlyList<TraceEvent> Interleave(IReadOnlyList<IReadOnlyList<TraceEvent>> scripts, byte[]? merge)
    {
        var r = new PlanReader(merge);
        var cursors = scripts.Select(s => (Script: s, Next: 0)).Where(c => c.Script.Count > 0).ToList();
        var merged = new List<TraceEvent>();
        while (cursors.Count > 0)
        {
            var k = r.Next(cursors.Count);
            var (script, next) = cursors[k];
            merged.Add(script[next]);
            if (next + 1 == script.Count) cursors.RemoveAt(k);
            else cursors[k] = (script, next + 1);
        }
        return merged;
    }

    /// <summary>The per-trace well-formed scripts of an interleaving plan (at most eight traces).</summary>
    public static IReadOnlyList<IReadOnlyList<TraceEvent>> Independent(byte[][]? plans, ClockMode clock = ClockMode.Increasing) =>
        (plans ?? []).Take(8).Select((p, i) => WellFormed(p, clock, i)).ToList();

    /// <summary>Random, mostly ill-formed events over three trace ids and four span ids (span ids shared by the traces).</summary>
    public static IReadOnlyList<TraceEvent> IllFormed(byte[]? plan, ClockMode mode = ClockMode.Jittery)
    {
        var r = new PlanReader(plan);
        var clock = new ScriptClock(mode, Values.Epoch);
        var events = new List<TraceEvent>();
        // Trace 100 is the busy one (three draws in four); 101 and 102 make the cross-trace and unknown-trace cases.
        TraceId T() => Ids.Trace(100 + Math.Max(0, r.Next(8) - 5));
        SpanId S() => Ids.Span(100, r.Next(4));
        SpanId? SpanOrTrace() => r.Next(5) is var k && k == 4 ? null : Ids.Span(100, k);
        while (r.More)
        {
            var b = r.Next();
            var at = clock.Tick(b);
            TraceEvent? e = (b % 26) switch
            {
                0 or 1 or 22 => new TraceStarted(T(), Values.Name(r)!, at, SessionId: Values.ShortText(r),
                    ParentTrace: r.Next(3) == 0 ? T() : null),
                2 => new TraceEnded(T(), at),
                3 or 4 or 23 or 24 => new SpanStarted(T(), S(), SpanOrTrace(), Values.Name(r)!, Values.Kind(r), at, Values.ShortText(r)),
                5 or 25 => new SpanEnded(T(), S(), at),
                6 => new InputSet(T(), SpanOrTrace(), r.Next(4) == 0 ? null! : Values.Payload(r), at),
                7 => new OutputSet(T(), SpanOrTrace(), Values.Payload(r), at),
                8 => new ModelSet(T(), S(), Values.ShortText(r)!, at),
                9 => new TokensSet(T(), S(), r.Next(4) == 0 ? null! : Values.Tokens(r), at),
                10 => new CostSet(T(), S(), r.Next(4) == 0 ? null! : Values.Cost(r), at),
                11 => new ModelParametersSet(T(), S(), Values.Entries(r), at),
                12 => new CompletionStartSet(T(), S(), at, at),
                13 => new MetadataMerged(T(), SpanOrTrace(), Values.Entries(r), at),
                14 => new Errored(T(), SpanOrTrace(), r.Next(4) == 0 ? null! : Values.Error(r), at),
                15 => new SpanStatusSet(T(), S(), (SpanStatus)r.Next(3), at),
                16 => new TraceStatusSet(T(), (TraceStatus)r.Next(4), at),
                17 => new ParamsRegistered(T(), SpanOrTrace(), Values.Entries(r), r.Next(2) == 0, at),
                18 => new Logged(T(), SpanOrTrace(), r.Next(4) == 0 ? null! : Values.Payload(r), at),
                19 => new ScoreRecorded(T(), new Score(T(), "accuracy", "0.5", ScoreDataType.Numeric, null, Map<string, Payload>()), at),
                20 => r.Next(2) == 0 ? null : new TraceRenamed(T(), Values.Name(r)!, at),
                _ => SelfParented(T(), S(), at),
            };
            events.Add(e!);
        }
        return events;
    }

    /// <summary>
    /// A well-formed script (with late spans when the plan's length is odd) damaged by one to four edits read from the
    /// plan backwards: an event copied to another place (a second start or end, a set after an end, a span id
    /// restarted after it ended), an event dropped, two events swapped, an event moved to another trace, or an ended span started again right
    /// after its end (under a parent picked from all the script's spans), or a new span grafted anywhere under one of
    /// the script's spans (so under a parent that is not started yet, open, or ended, or after the trace ended).
    /// </summary>
    public static IReadOnlyList<TraceEvent> Corrupted(byte[]? plan, ClockMode clock = ClockMode.Increasing)
    {
        plan ??= [];
        var script = (plan.Length % 2 == 0 ? WellFormed(plan, clock) : WithLateSpans(plan, clock)).ToList();
        var r = new PlanReader(plan.Reverse().ToArray());
        var edits = 1 + r.Next(4);
        for (var n = 0; n < edits && script.Count > 0; n++)
        {
            var op = r.Next(8);
            var i = r.Next(script.Count);
            var j = r.Next(script.Count + 1);
            switch (op)
            {
                case 4 or 5: Restart(script, r); break;
                case 6 or 7: Graft(script, r, n); break;
                case 0: script.Insert(j, script[i]); break;
                case 1: script.RemoveAt(i); break;
                case 2: (script[i], script[j % script.Count]) = (script[j % script.Count], script[i]); break;
                default: script[i] = script[i] with { Trace = Ids.Trace(1) }; break;
            }
        }
        return script;
    }

    /// <summary>
    /// One of the script kinds, chosen by <paramref name="selector"/> (its value mod 3 picks the clock, and the rest
    /// picks the kind): well-formed, late spans, ill-formed, an interleaving of traces cut from the plan, or a
    /// corrupted well-formed script, or a reversed well-formed script.
    /// </summary>
    public static IReadOnlyList<TraceEvent> Any(byte[]? plan, byte selector)
    {
        var clock = Plans.ClockOf(selector);
        plan ??= [];
        return (selector / 3 % KindCount) switch
        {
            0 => WellFormed(plan, clock),
            1 => WithLateSpans(plan, clock),
            2 => IllFormed(plan, clock),
            3 => Interleave(Independent(Split(plan), clock), plan.Reverse().ToArray()),
            4 => Corrupted(plan, clock),
            _ => WellFormed(plan, clock).Reverse().ToList(),
        };
    }

    /// <summary>A plan cut into one to four sub-plans (byte i goes to sub-plan i mod n).</summary>
    public static byte[][] Split(byte[] plan)
    {
        var n = 1 + plan.Length % 4;
        return Enumerable.Range(0, n).Select(k => plan.Where((_, i) => i % n == k).ToArray()).ToArray();
    }

    static void Restart(List<TraceEvent> script, PlanReader r)
    {
        var ends = script.Select((e, i) => (e, i)).Where(x => x.e is SpanEnded).ToList();
        var starts = script.OfType<SpanStarted>().ToList();
        if (ends.Count == 0) return;
        var (end, at) = ends[r.Next(ends.Count)];
        if (starts.FirstOrDefault(s => s.Span == end.Target && s.Trace == end.Trace) is not { } start) return;
        var k = r.Next(starts.Count + 1);
        script.Insert(at + 1, start with { At = end.At, Parent = k == 0 ? start.Parent : starts[k - 1].Span });
    }

    static void Graft(List<TraceEvent> script, PlanReader r, int n)
    {
        var starts = script.OfType<SpanStarted>().ToList();
        if (starts.Count == 0) return;
        var parent = starts[r.Next(starts.Count)];
        var at = r.Next(script.Count + 1);
        var when = at < script.Count ? script[at].At : parent.At;
        script.Insert(at, new SpanStarted(parent.Trace, Ids.Span(1, n), parent.Span, "graft", SpanType.Tool, when));
    }

    static SpanStarted SelfParented(TraceId trace, SpanId span, DateTimeOffset at) =>
        new(trace, span, span, "self", SpanType.Other, at);
}
