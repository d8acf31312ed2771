using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Generators;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>
/// The reducer's storage changes representation with size: a trace's open spans live in a small array up to
/// <see cref="SpanTable.LinearLimit"/> entries and in a hash map beyond; the last ended span ids (fewer than
/// <see cref="EndedIds.Run"/>) are scanned linearly and the earlier ones kept in frozen sets of doubling size. These
/// properties cross every threshold, both ways, and check the same claims as the ordinary scripts.
/// </summary>
public class LargeTraceProperties
{
    static readonly Reducer Real = Folding.Real;

    // The properties over long scripts (Plans.LongScript, Plans.LongInterleaving) run a quarter of the cases.

    [TraceProperty]
    public Property Span_tables_behave_like_a_dictionary_across_the_linear_limit(SpanTablePlan ops)
    {
        var plan = ops.Ops;
        var table = SpanTable.Empty;
        var model = new Dictionary<SpanId, OpenSpan>();
        var pool = Enumerable.Range(0, 3 * SpanTable.LinearLimit).Select(i => Ids.Span(7, i)).ToArray();
        var problems = new List<string>();
        for (var i = 0; i + 1 < plan.Length && problems.Count == 0; i += 2)
        {
            var id = pool[plan[i + 1] % pool.Length];
            // Adds outnumber removes two to one, so tables grow past the limit and shrink back through it.
            if (plan[i] % 3 == 0)
            {
                table = table.Remove(id);
                model.Remove(id);
            }
            else
            {
                // Usually a span under its own id (the reducer's case, which a one-entry table keeps without an
                // array); sometimes under another key, which the table must honour all the same.
                var spanId = plan[i] % 5 == 1 ? pool[(plan[i + 1] + 1) % pool.Length] : id;
                var span = OpenSpan.Of(new Span { Id = spanId, Trace = Ids.Trace(7), Name = $"v{plan[i]}", StartedAt = Values.Epoch });
                var before = table;
                var beforeCount = before.Count;
                table = table.AddOrUpdate(id, span);
                model[id] = span;
                if (before.Count != beforeCount) problems.Add("adding changed the previous table");
            }
            problems.AddRange(Differences(table, model));
        }
        return (problems.Count == 0).Label(string.Join("\n", problems));
    }

    static IEnumerable<string> Differences(SpanTable table, Dictionary<SpanId, OpenSpan> model)
    {
        if (table.Count != model.Count) yield return $"count {table.Count}, expected {model.Count}";
        if (table.IsEmpty != (model.Count == 0)) yield return "IsEmpty disagrees with the count";
        if (!table.Keys.ToHashSet().SetEquals(model.Keys)) yield return "the keys differ";
        foreach (var (key, span) in table)
            if (!model.TryGetValue(key, out var expected) || !ReferenceEquals(expected, span)) yield return $"{key} maps to another span";
        foreach (var (key, span) in model)
        {
            if (!table.ContainsKey(key)) yield return $"{key} is missing";
            if (!table.Find(key).Exists(found => ReferenceEquals(found, span))) yield return $"Find({key}) disagrees";
        }
        var rebuilt = model.Reverse().Aggregate(SpanTable.Empty, (t, kv) => t.AddOrUpdate(kv.Key, kv.Value));
        if (!rebuilt.Equals(table) || !table.Equals(rebuilt)) yield return "a table with the same entries in another order is not equal";
        if (rebuilt.GetHashCode() != table.GetHashCode()) yield return "equal tables have different hash codes";
    }

    [TraceProperty]
    public Property Every_ended_span_id_is_refused_as_a_duplicate_and_no_other_is_at_any_size(ushort size, byte probe)
    {
        var (trace, at) = (Ids.Trace(9), Values.Epoch);
        var ended = size % 700;   // across ten runs and several carries of the sets
        var state = OpenTrace.Started(new TraceStarted(trace, "t", at));
        for (var i = 0; i < ended; i++)
        {
            state = TraceReducer.Apply(state, new SpanStarted(trace, Ids.Span(9, i), null, "s", SpanType.Other, at)).State!;
            state = TraceReducer.Apply(state, new SpanEnded(trace, Ids.Span(9, i), at)).State!;
        }
        var checks = new List<(bool, string)>();
        foreach (var i in new[] { 0, ended - 1, ended / 2, probe % Math.Max(1, ended) }.Where(i => i >= 0 && i < ended).Distinct())
            checks.Add((TraceReducer.Apply(state, new SpanStarted(trace, Ids.Span(9, i), null, "again", SpanType.Other, at)).Output
                is Output.Rejected { Reason: RejectionReason.DuplicateSpan }, $"ended span {i} of {ended} was not refused"));
        checks.Add((TraceReducer.Apply(state, new SpanStarted(trace, Ids.Span(9, ended + probe), null, "new", SpanType.Other, at)).Output
            is Output.SpanStarted, $"a new span after {ended} ended spans was refused"));
        return Claim.All(checks);
    }

    [TraceProperty(Divisor = 4)]
    public Property Long_well_formed_scripts_keep_every_invariant_and_agree_with_the_reference(LongScriptPlan p)
    {
        var clock = Plans.ClockOf(p.Clock);
        var wellFormed = Scripts.WellFormed(p.Steps, clock);
        var late = Scripts.WithLateSpans(p.Steps, clock);
        return Invariants.Hold(wellFormed).And(Invariants.Hold(late))
            .And(ReducerClaims.AgreesWithTheReference(Real, wellFormed))
            .And(ReducerClaims.AgreesWithTheReference(Real, late))
            .And(ReducerClaims.LateSpansComeLater(Real, late));
    }

    [TraceProperty(Divisor = 4)]
    public Property Long_corrupted_scripts_keep_every_invariant_and_reject_without_changing_the_state(LongScriptPlan p)
    {
        var script = Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock));
        return Invariants.Hold(script).And(ReducerClaims.RejectionsLeaveTheStateUnchanged(Real, script))
            .And(ReducerClaims.Deterministic(Real, () => Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock))));
    }

    [TraceProperty(Divisor = 4)]
    public Property Interleaved_long_traces_fold_as_if_alone(LongInterleavingPlan p) =>
        ReducerClaims.InterleavingChangesNothing(Real, p.Traces, p.Merge);

    [Fact]
    public void Long_scripts_cross_the_storage_thresholds()
    {
        // Without this the properties above could pass while never leaving the small representations.
        var sample = Plans.LongScript.Generator.Sample(60, new Rnd(20261122UL), 40);
        int mostOpen = 0, mostEnded = 0;
        foreach (var p in sample)
        {
            var state = TraceState.Empty;
            foreach (var e in Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock)))
            {
                state = TraceReducer.Apply(state, e).State;
                foreach (var (_, open) in state.Open)
                {
                    mostOpen = Math.Max(mostOpen, open.OpenSpans.Count);
                    mostEnded = Math.Max(mostEnded, open.Trace.Spans.Count);
                }
            }
        }
        Assert.True(mostOpen > SpanTable.LinearLimit, $"at most {mostOpen} spans were open at once");
        Assert.True(mostEnded > 32, $"at most {mostEnded} spans ended in one trace");
    }

    [Fact]
    public void Forty_parallel_spans_refuse_every_restarted_id_keep_a_late_child_and_end_in_order()
    {
        var t = Ids.Trace(9);
        var at = Values.Epoch;
        var ids = Enumerable.Range(0, 40).Select(i => Ids.Span(9, i)).ToArray();
        var script = new List<TraceEvent> { new TraceStarted(t, "t", at) };
        // Forty open at once: the first twenty top level, the rest under an open span (the table is a map by then).
        for (var i = 0; i < ids.Length; i++)
            script.Add(new SpanStarted(t, ids[i], i < 20 ? null : ids[i - 20], $"s{i}", SpanType.Other, at));
        script.Add(new SpanStarted(t, ids[5], null, "open again", SpanType.Other, at));
        // End children first, newest first, restarting each just-ended id (rejected every time).
        for (var i = ids.Length - 1; i >= 0; i--)
        {
            script.Add(new SpanEnded(t, ids[i], at));
            script.Add(new SpanStarted(t, ids[i], null, "again", SpanType.Other, at));
        }
        script.Add(new SpanStarted(t, ids[39], null, "first ended, restarted after forty ends", SpanType.Other, at));
        script.Add(new SpanStarted(t, Ids.Span(9, 40), ids[0], "under an ended parent", SpanType.Other, at));
        script.Add(new SpanStarted(t, Ids.Span(9, 42), Ids.Span(9, 99), "under a parent that never started", SpanType.Other, at));
        script.Add(new SpanEnded(t, Ids.Span(9, 40), at));
        script.Add(new SpanStarted(t, Ids.Span(9, 41), null, "new", SpanType.Other, at));
        script.Add(new TraceEnded(t, at));
        script.Add(new SpanEnded(t, Ids.Span(9, 41), at));

        var outputs = TraceReducer.Fold(script).Outputs.ToList();
        var rejections = outputs.OfType<Output.Rejected>().Select(r => r.Reason).ToList();
        Assert.Equal(Enumerable.Repeat(RejectionReason.DuplicateSpan, 42).Append(RejectionReason.UnknownParent), rejections);
        var lateChild = Assert.Single(outputs.OfType<Output.SpanStarted>(), o => o.LateChild).Span;
        Assert.Equal((Ids.Span(9, 40), ids[0]), (lateChild.Id, lateChild.Parent!.Value));
        var trace = Assert.Single(outputs.OfType<Output.TraceCompleted>()).Trace;
        Assert.Equal(ids.Reverse().Append(Ids.Span(9, 40)), trace.Spans.Select(s => s.Id));
        var late = Assert.Single(outputs.OfType<Output.SpanCompleted>(), o => o.AfterTrace);
        Assert.Equal(Ids.Span(9, 41), late.Span.Id);
        Assert.Empty(Invariants.Violations(script));
        Assert.True(TraceReducer.Fold(script).State.Open.IsEmpty);
    }

    [Fact]
    public void The_state_holds_exactly_the_traces_that_have_not_finished()
    {
        var at = Values.Epoch;
        var (a, b, c) = (Ids.Trace(1), Ids.Trace(2), Ids.Trace(3));
        TraceEvent[] script =
        [
            new TraceStarted(a, "a", at), new TraceStarted(b, "b", at), new SpanStarted(a, Ids.Span(1, 0), null, "x", SpanType.Other, at),
            new TraceStarted(c, "c", at), new TraceEnded(a, at), new TraceEnded(c, at), new SpanEnded(a, Ids.Span(1, 0), at),
        ];
        var state = TraceState.Empty;
        var expected = new[] { 1, 2, 2, 3, 3, 2, 1 };
        for (var i = 0; i < script.Length; i++)
        {
            state = TraceReducer.Apply(state, script[i]).State;
            Assert.Equal(expected[i], state.Open.Count);
        }
        Assert.Equal([b], state.Open.Keys.ToArray());
        Assert.True(state.Find(a).IsNone);
    }
}
