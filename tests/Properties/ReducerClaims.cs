using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>
/// The bodies of the reducer properties, each taking the reducer to test, so that the same claims run against the
/// real reducer (<see cref="ReducerProperties"/>) and against deliberately broken mutants (<see cref="ClaimsCanFail"/>).
/// </summary>
internal static class ReducerClaims
{
    static readonly TraceId Single = Ids.Trace(0);

    /// <summary>A well-formed script is never rejected, completes its trace once, completes every span, and leaves an empty state.</summary>
    public static Property WellFormedCompletesOnce(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var step = apply.Fold(script);
        var completed = step.Outputs.Count(o => o is Output.TraceCompleted);
        var rejected = step.Outputs.Filter(o => o is Output.Rejected).ToList();
        var spansStarted = script.Count(e => e is SpanStarted);
        var spansCompleted = step.Outputs.Count(o => o is Output.SpanCompleted);
        return Claim.All(
        [
            (completed == 1, $"TraceCompleted emitted {completed} times"),
            (rejected.Count == 0, $"{rejected.Count} rejections, first: {rejected.FirstOrDefault()}"),
            (spansCompleted == spansStarted, $"{spansStarted} spans started, {spansCompleted} completed"),
            (step.State.Open.IsEmpty, $"{step.State.Open.Count} traces left in the state"),
        ], () => Invariants.Describe(script));
    }

    /// <summary>In any script, a trace completes at most once per start, and a span at most once per start.</summary>
    public static Property CompletesAtMostOncePerStart(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var outputs = apply.Fold(script).Outputs;
        var traceStarts = outputs.OfType<Output.TraceStarted>().CountBy(o => o.Trace.Id).ToDictionary();
        var spanStarts = outputs.OfType<Output.SpanStarted>().CountBy(o => (o.Span.Trace, o.Span.Id)).ToDictionary();
        var checks = outputs.OfType<Output.TraceCompleted>().CountBy(o => o.Trace.Id)
            .Select(kv => (kv.Value <= traceStarts.GetValueOrDefault(kv.Key), $"trace {kv.Key} completed {kv.Value} times, started {traceStarts.GetValueOrDefault(kv.Key)}"))
            .Concat(outputs.OfType<Output.SpanCompleted>().CountBy(o => (o.Span.Trace, o.Span.Id))
                .Select(kv => (kv.Value <= spanStarts.GetValueOrDefault(kv.Key), $"span {kv.Key} completed {kv.Value} times, started {spanStarts.GetValueOrDefault(kv.Key)}")));
        return Claim.All(checks, () => Invariants.Describe(script));
    }

    /// <summary>Folding the same script twice (built twice) gives equal states and equal outputs.</summary>
    public static Property Deterministic(Reducer apply, Func<IReadOnlyList<TraceEvent>> build)
    {
        var a = apply.Fold(build());
        var b = apply.Fold(build());
        return Claim.All(
        [
            (a.State.Equals(b.State), "the final states differ"),
            (a.Outputs.Equals(b.Outputs), "the outputs differ"),
        ]);
    }

    /// <summary>Interleaving independent traces completes the same traces and spans as folding each trace alone.</summary>
    public static Property InterleavingChangesNothing(Reducer apply, byte[][] plans, byte[] merge)
    {
        var scripts = Scripts.Independent(plans);
        var alone = scripts.SelectMany(s => apply.Fold(s).Outputs).ToList();
        var together = apply.Fold(Scripts.Interleave(scripts, merge));
        Dictionary<TraceId, TraceRecord> Completed(IEnumerable<Output> outputs) =>
            outputs.OfType<Output.TraceCompleted>().ToDictionary(o => o.Trace.Id, o => o.Trace);
        Dictionary<TraceId, List<Output.SpanCompleted>> Spans(IEnumerable<Output> outputs) =>
            outputs.OfType<Output.SpanCompleted>().GroupBy(o => o.Span.Trace).ToDictionary(g => g.Key, g => g.ToList());
        var (expected, actual) = (Completed(alone), Completed(together.Outputs));
        var (expectedSpans, actualSpans) = (Spans(alone), Spans(together.Outputs));
        return Claim.All(
        [
            (expected.Count == scripts.Count, $"{scripts.Count} traces, {expected.Count} completed alone"),
            (actual.Count == expected.Count && expected.All(kv => actual.TryGetValue(kv.Key, out var t) && t.Equals(kv.Value)),
                "the completed traces differ when interleaved"),
            (actualSpans.Count == expectedSpans.Count && expectedSpans.All(kv => actualSpans.TryGetValue(kv.Key, out var s) && s.SequenceEqual(kv.Value)),
                "the completed spans of some trace differ when interleaved"),
            (together.State.Open.IsEmpty, "the interleaved fold left traces in the state"),
        ]);
    }

    /// <summary>Whenever a step's only output is a rejection, the state after equals the state before.</summary>
    public static Property RejectionsLeaveTheStateUnchanged(Reducer apply, IReadOnlyList<TraceEvent> script) =>
        Claim.All(apply.Steps(script).Select((s, i) => (s, i))
            .Where(x => !x.s.Step.Outputs.IsEmpty && x.s.Step.Outputs.ForAll(o => o is Output.Rejected))
            .Select(x => (x.s.Step.State.Equals(x.s.Before), $"rejected event #{x.i} ({Invariants.Describe(x.s.Event)}) changed the state")));

    /// <summary>The last TokensSet, CostSet and InputSet of a span (or the trace's last InputSet) is the value it completes with.</summary>
    public static Property LastSetWins(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var outputs = apply.Fold(script).Outputs;
        var checks = new List<(bool, string)>();
        foreach (var s in outputs.OfType<Output.SpanCompleted>().Select(o => o.Span))
        {
            var mine = Reference.SpanSetters(script, s.Id).ToList();
            Check(checks, s.Id, "tokens", s.Tokens, mine.OfType<TokensSet>().Select(e => e.Tokens));
            Check(checks, s.Id, "cost", s.Cost, mine.OfType<CostSet>().Select(e => e.Cost));
            Check(checks, s.Id, "input", s.Input, mine.OfType<InputSet>().Select(e => e.Input));
        }
        foreach (var t in outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace))
        {
            var sets = Reference.TraceSetters(script, t.Id).OfType<InputSet>().Select(e => e.Input);
            var start = script.OfType<TraceStarted>().First(e => e.Trace == t.Id).Input;
            Check(checks, t.Id, "trace input", t.Input, start is null ? sets : sets.Prepend(start));
        }
        return Claim.All(checks, () => Invariants.Describe(script));
    }

    static void Check<TId, T>(List<(bool, string)> checks, TId id, string field, T? actual, IEnumerable<T> sets) where T : class
    {
        var expected = sets.LastOrDefault();
        checks.Add((Equals(actual, expected), $"{id}: {field} is {actual}, the last set was {expected}"));
    }

    /// <summary>Metadata at completion equals the start metadata with every merge applied to a dictionary, in order.</summary>
    public static Property MetadataIsADictionaryFold(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var outputs = apply.Fold(script).Outputs;
        var checks = new List<(bool, string)>();
        foreach (var s in outputs.OfType<Output.SpanCompleted>().Select(o => o.Span))
        {
            var start = script.OfType<SpanStarted>().Single(e => e.Span == s.Id);
            var merges = Reference.SpanSetters(script, s.Id).OfType<MetadataMerged>().Select(m => (m.Metadata, false));
            var expected = Reference.DictionaryFold(start.Metadata, merges);
            checks.Add((s.Metadata.Equals(expected), $"span {s.Id}: metadata {s.Metadata}, expected {expected}"));
        }
        foreach (var t in outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace))
        {
            var start = script.OfType<TraceStarted>().Single(e => e.Trace == t.Id);
            var merges = Reference.TraceSetters(script, t.Id).OfType<MetadataMerged>().Select(m => (m.Metadata, false));
            var expected = Reference.DictionaryFold(start.Metadata, merges);
            checks.Add((t.Metadata.Equals(expected), $"trace {t.Id}: metadata {t.Metadata}, expected {expected}"));
        }
        return Claim.All(checks, () => Invariants.Describe(script));
    }

    /// <summary>
    /// A span with no explicit status ends OK; an errored span (error after any status set) ends ERROR; every span
    /// keeps its last error. A trace with no explicit status ends COMPLETED; an errored trace ends ERROR.
    /// </summary>
    public static Property StatusRules(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var outputs = apply.Fold(script).Outputs;
        var checks = new List<(bool, string)>();
        foreach (var s in outputs.OfType<Output.SpanCompleted>().Select(o => o.Span))
        {
            var mine = Reference.SpanSetters(script, s.Id).ToList();
            var last = mine.LastOrDefault(e => e is Errored or SpanStatusSet);
            var expected = last switch { Errored => SpanStatus.Error, SpanStatusSet { Status: not SpanStatus.Unset } x => x.Status, _ => SpanStatus.Ok };
            checks.Add((s.Status == expected, $"span {s.Id} ended {s.Status}, expected {expected} (last status event: {last?.GetType().Name ?? "none"})"));
            var lastError = mine.OfType<Errored>().Select(e => e.Error.Message).LastOrDefault();
            var kept = s.Error is { } error ? error.Message : null;
            checks.Add((kept == lastError, $"span {s.Id} kept error {s.Error}, the last was {lastError}"));
        }
        foreach (var t in outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace))
        {
            var last = Reference.TraceSetters(script, t.Id).LastOrDefault(e => e is Errored or TraceStatusSet);
            var expected = last switch { Errored => TraceStatus.Error, TraceStatusSet x => x.Status, _ => TraceStatus.Completed };
            checks.Add((t.Status == expected, $"trace {t.Id} ended {t.Status}, expected {expected}"));
        }
        return Claim.All(checks, () => Invariants.Describe(script));
    }

    /// <summary>A one-trace script (well-formed or with late spans) completes exactly the reference trace and late spans.</summary>
    public static Property AgreesWithTheReference(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var expected = Reference.Of(script);
        var outputs = apply.Fold(script).Outputs;
        var traces = outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace).ToList();
        var late = outputs.OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span).ToList();
        return Claim.All(
        [
            (traces.Count == 1 && traces[0].Equals(expected.Trace), $"completed {traces.FirstOrDefault()}\nexpected  {expected.Trace}"),
            (late.SequenceEqual(expected.LateSpans), $"late spans {string.Join(", ", late)}\nexpected {string.Join(", ", expected.LateSpans)}"),
        ], () => Invariants.Describe(script));
    }

    /// <summary>
    /// Every span still open when the trace ends completes later, once, as a late span (and no other span does), and
    /// the trace leaves the state exactly when it has ended and its last late span has ended.
    /// </summary>
    public static Property LateSpansComeLater(Reducer apply, IReadOnlyList<TraceEvent> script)
    {
        var checks = new List<(bool, string)>();
        var openAtEnd = new List<SpanId>();
        var open = new System.Collections.Generic.HashSet<SpanId>();
        var ended = false;
        var lateOutputs = new List<SpanId>();
        var index = 0;
        foreach (var (_, e, step) in apply.Steps(script))
        {
            switch (e)
            {
                case SpanStarted s: open.Add(s.Span); break;
                case SpanEnded x: open.Remove(x.Span); break;
                case TraceEnded: ended = true; openAtEnd.AddRange(open); break;
            }
            lateOutputs.AddRange(step.Outputs.OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span.Id));
            var expectedInState = !ended || open.Count > 0;
            checks.Add((step.State.Open.ContainsKey(Single) == expectedInState,
                $"after event #{index}: trace in state = {!expectedInState}, expected {expectedInState} (ended={ended}, open spans={open.Count})"));
            index++;
        }
        checks.Add((lateOutputs.Count == lateOutputs.Distinct().Count(), "a late span completed twice"));
        checks.Add((lateOutputs.ToHashSet().SetEquals(openAtEnd), $"late spans [{string.Join(", ", lateOutputs)}], open at trace end [{string.Join(", ", openAtEnd)}]"));
        return Claim.All(checks, () => Invariants.Describe(script));
    }
}
