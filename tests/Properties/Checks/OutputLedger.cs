namespace PandaProbe.Properties.Checks;

/// <summary>
/// A shadow model of trace and span lifetimes, rebuilt from the reducer's outputs alone, that checks every step
/// against the reducer's contract. A trace's lifetime runs from its <see cref="Output.TraceStarted"/> until it has
/// completed and its last late span has completed; within one lifetime the trace completes at most once, each span
/// id starts at most once and completes at most once, a span starts only under a parent that started earlier in the trace (open, or ended: a late child) while the trace is
/// open, <see cref="Output.SpanCompleted.AfterTrace"/> tells whether the trace had completed, and the completed
/// trace holds exactly the spans that completed before it. After each step the state holds exactly the live
/// traces, with exactly the open spans. A rejection is the step's only output and leaves the state unchanged.
/// </summary>
internal sealed class OutputLedger
{
    sealed class Life
    {
        public bool Completed;
        public SpanId? Continuation;
        public readonly Dictionary<SpanId, Span> Open = [];
        public readonly System.Collections.Generic.HashSet<SpanId> Started = [];
        public readonly List<Span> EndedBeforeTrace = [];
    }

    readonly Dictionary<TraceId, Life> lives = [];

    /// <summary>The traces whose lifetime has begun and not finished.</summary>
    public IReadOnlyCollection<TraceId> Live => lives.Keys;

    /// <summary>Checks one step (<paramref name="before"/>, <paramref name="e"/>) → <paramref name="step"/> and records its outputs.</summary>
    public IReadOnlyList<string> Observe(TraceState before, TraceEvent e, Step step)
    {
        var violations = new List<string>();
        if (step.State is null) return ["the step's state is null"];   // Step is a value type: only its state can be null
        var rejected = step.Outputs.Exists(o => o is Output.Rejected);
        if (rejected && step.Outputs.Count != 1) violations.Add($"a rejection came with other outputs: {step.Outputs.Count}");
        if ((rejected || e is null) && !step.State.Equals(before)) violations.Add("a rejected (or null) event changed the state");
        if (e is null && !step.Outputs.IsEmpty) violations.Add("a null event produced outputs");
        if (!rejected && e is not null) violations.AddRange(Accepted(e, step.Outputs));
        foreach (var output in step.Outputs) violations.AddRange(Record(output));
        violations.AddRange(Agrees(step.State));
        return violations;
    }

    static IEnumerable<string> Accepted(TraceEvent e, Seq<Output> outputs)
    {
        bool Has<T>(Func<T, bool> match) where T : Output => outputs.Exists(o => o is T t && match(t));
        switch (e)
        {
            case TraceEvent.TraceStarted s when !Has<Output.TraceStarted>(o => o.Trace.Id == s.Trace):
                yield return "an accepted TraceStarted emitted no TraceStarted output"; break;
            case TraceEvent.TraceEnded x when !Has<Output.TraceCompleted>(o => o.Trace.Id == x.Trace):
                yield return "an accepted TraceEnded emitted no TraceCompleted output"; break;
            case TraceEvent.SpanStarted s when !Has<Output.SpanStarted>(o => o.Span.Id == s.Span && o.Span.Trace == s.Trace):
                yield return "an accepted SpanStarted emitted no SpanStarted output"; break;
            case TraceEvent.SpanEnded x when !Has<Output.SpanCompleted>(o => o.Span.Id == x.Span && o.Span.Trace == x.Trace):
                yield return "an accepted SpanEnded emitted no SpanCompleted output"; break;
        }
    }

    IEnumerable<string> Record(Output output)
    {
        switch (output)
        {
            case Output.TraceStarted { Trace: var t }:
                if (lives.ContainsKey(t.Id)) yield return $"trace {t.Id} started twice in one lifetime";
                if (!t.IsOpen || t.Status != TraceStatus.Running) yield return $"trace {t.Id} started ended or not RUNNING";
                foreach (var v in TimeAndLimits.TimeOfTrace(t)) yield return $"started trace {t.Id}: {v}";
                lives[t.Id] = new Life { Continuation = t.ContinuationSpan };
                break;
            case Output.SpanStarted { Span: var s } started:
                if (!lives.TryGetValue(s.Trace, out var life) || life.Completed) { yield return $"span {s.Id} started outside an open trace"; break; }
                if (s.Parent is { } parent && parent != life.Continuation && (parent == s.Id || !life.Started.Contains(parent)))
                    yield return $"span {s.Id} started under {parent}, which never started in its trace";
                var late = s.Parent is { } p && p != life.Continuation && !life.Open.ContainsKey(p);
                if (started.LateChild != late) yield return $"span {s.Id} started with LateChild={started.LateChild}, its parent {(late ? "had ended" : "is open or none")}";
                if (!life.Started.Add(s.Id)) yield return $"span id {s.Id} started twice in one lifetime of trace {s.Trace}";
                foreach (var v in TimeAndLimits.TimeOfSpan(s)) yield return $"started span {s.Id}: {v}";
                life.Open[s.Id] = s;
                break;
            case Output.SpanCompleted { Span: var s, AfterTrace: var after }:
                if (!lives.TryGetValue(s.Trace, out var owner) || !owner.Open.Remove(s.Id)) { yield return $"span {s.Id} completed but was not open"; break; }
                if (after != owner.Completed) yield return $"span {s.Id} completed with afterTrace={after} while trace completed={owner.Completed}";
                if (s.IsOpen) yield return $"completed span {s.Id} has no end time";
                foreach (var v in TimeAndLimits.TimeOfSpan(s)) yield return $"completed span {s.Id}: {v}";
                if (!after) owner.EndedBeforeTrace.Add(s);
                if (owner.Completed && owner.Open.Count == 0) lives.Remove(s.Trace);
                break;
            case Output.TraceCompleted { Trace: var t }:
                if (!lives.TryGetValue(t.Id, out var done) || done.Completed) { yield return $"trace {t.Id} completed but was not open"; break; }
                if (t.IsOpen) yield return $"completed trace {t.Id} has no end time";
                if (t.Status is TraceStatus.Running && !t.StatusIsExplicit) yield return $"trace {t.Id} completed RUNNING without an explicit status";
                if (!t.Spans.SequenceEqual(done.EndedBeforeTrace)) yield return $"completed trace {t.Id} does not hold exactly the spans completed before it";
                foreach (var v in TimeAndLimits.TimeOfTrace(t)) yield return $"completed trace {t.Id}: {v}";
                done.Completed = true;
                if (done.Open.Count == 0) lives.Remove(t.Id);
                break;
        }
    }

    IEnumerable<string> Agrees(TraceState state)
    {
        var inState = state.Open.Keys.ToHashSet();
        foreach (var id in inState.Except(lives.Keys)) yield return $"trace {id} is in the state but its lifetime is over (or never began)";
        foreach (var id in lives.Keys.Except(inState)) yield return $"trace {id} is live but missing from the state";
        foreach (var (id, life) in lives)
        {
            if (!state.Find(id).TryGet(out var open)) continue;
            if (open.Trace.IsOpen == life.Completed) yield return $"trace {id}: state says open={open.Trace.IsOpen}, outputs say completed={life.Completed}";
            if (!open.OpenSpans.Keys.ToHashSet().SetEquals(life.Open.Keys)) yield return $"trace {id}: the state's open spans differ from the started-and-not-completed spans";
        }
    }
}
