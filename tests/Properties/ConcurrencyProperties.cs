using System.Reactive.Concurrency;
using PandaProbe.Pipeline;
using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Generators;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>
/// A trace's state is one atomic cell that every thread folds its own events into, on its own thread. These
/// properties raise the events of one trace from sixteen threads at once (parallel tool calls under one agent span,
/// with the trace itself ended in the middle of the run or after it) and check the result against the plain
/// sequential fold.
/// </summary>
public class ConcurrencyProperties
{
    const int Threads = 16;
    static readonly TraceId Id = Ids.Trace(42);
    static readonly SpanId Root = Ids.Span(42, 0);

    /// <summary>
    /// The events of one thread: spans under the shared root span (or nested in the thread's own open span), each
    /// updated and ended by this thread only; every span it started is ended before it stops.
    /// </summary>
    static List<TraceEvent> ThreadScript(int thread, byte[]? plan)
    {
        var r = new PlanReader(plan);
        var events = new List<TraceEvent>();
        var open = new Stack<SpanId>();
        var next = 0;
        var at = Values.Epoch.AddSeconds(thread);
        DateTimeOffset Tick() => at = at.AddTicks(1);
        var spans = 0;
        while (r.More && events.Count < 40)
        {
            var op = r.Next(8);
            if (op < 2 || open.Count == 0)
            {
                if (spans >= 6 && open.Count > 0) { events.Add(new SpanEnded(Id, open.Pop(), Tick())); continue; }
                var id = Ids.Span(100 + thread, next++);
                events.Add(new SpanStarted(Id, id, open.Count > 0 && op == 1 ? open.Peek() : Root, $"tool-{thread}-{id.Value.ToString()[..4]}",
                    SpanType.Tool, Tick()));
                open.Push(id);
                spans++;
                continue;
            }
            var span = open.Peek();
            events.Add((op, r.Next(4)) switch
            {
                (2, _) => new SpanEnded(Id, open.Pop(), Tick()),
                (3, var k) => new InputSet(Id, span, Payload.Text($"in-{thread}-{k}"), Tick()),
                (4, var k) => new OutputSet(Id, span, Payload.Text($"out-{thread}-{k}"), Tick()),
                (5, var k) => new TokensSet(Id, span, TokenUsage.Of(k, 2 * k), Tick()),
                // k == 3: the shared root span, which every thread's merges race on (one span's cell under contention).
                (6, var k) => new MetadataMerged(Id, k == 3 ? Root : span, Map((Values.Keys[k], Payload.Text($"m{thread}"))), Tick()),
                // k == 1: a log line on the shared root span (appends that a lost update would drop).
                (_, var k) => k == 0 ? new Errored(Id, span, ErrorInfo.Of($"failed {thread}"), Tick())
                    : new Logged(Id, k == 1 ? Root : span, Payload.Text($"log {k} from {thread}"), Tick()),
            });
        }
        while (open.Count > 0) events.Add(new SpanEnded(Id, open.Pop(), Tick()));
        return events;
    }

    static TracePipeline NewPipeline() =>
        new([], PipelineOptions.Create(maxQueueSize: 100_000), scheduler: new HistoricalScheduler());

    /// <summary>How an event reaches a trace's cell: the real <see cref="TraceCell.Raise"/>, or a broken stand-in.</summary>
    internal delegate TraceStep Raiser(TraceCell cell, TraceEvent e);

    static readonly Raiser Real = static (cell, e) => cell.Raise(e);

    /// <summary>
    /// A cell without compare-and-swap: it reads the state, folds, and writes the result back (yielding in between, as
    /// a preempted thread would), so a concurrent event can be overwritten. The claims must catch it.
    /// </summary>
    internal static readonly Raiser ReadFoldWrite = static (cell, e) =>
    {
        var field = typeof(TraceCell).GetField("state", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var step = TraceReducer.Apply((OpenTrace?)field.GetValue(cell), e);
        Thread.Yield();
        field.SetValue(cell, step.State);
        return step;
    };

    /// <summary>
    /// A span cell without compare-and-swap: a span's own event is folded into the state read from its cell and written
    /// back after a yield, so two threads setting one span (the shared root) can overwrite each other. The claims must
    /// catch it.
    /// </summary>
    internal static readonly Raiser SpanReadFoldWrite = static (cell, e) =>
    {
        if (e.Target is not { } id || e is SpanStarted or SpanEnded || cell.State is not { } open
            || !open.OpenSpans.TryFind(id, out var slot) || slot is not SpanCell span)
            return cell.Raise(e);
        var field = typeof(SpanCell).GetField("state", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var step = SpanReducer.Apply(field.GetValue(span) as OpenSpan, e, id);
        Thread.Yield();
        if (step.Output is null) field.SetValue(span, step.State);
        return new TraceStep(open, step.Output) { SpanVersion = step.Output is null ? step.State!.Version : 0 };
    };

    /// <summary>Raises <paramref name="scripts"/>, one thread each, all released at once; returns what each raise did.</summary>
    static List<(TraceEvent Event, TraceStep Step)> RaiseConcurrently(TraceCell cell, IReadOnlyList<List<TraceEvent>> scripts, Raiser? raise = null)
    {
        raise ??= Real;
        var results = new List<(TraceEvent, TraceStep)>[scripts.Count];
        using var start = new Barrier(scripts.Count);
        var threads = scripts.Select((script, i) => new Thread(() =>
        {
            var mine = new List<(TraceEvent, TraceStep)>(script.Count);
            start.SignalAndWait();
            foreach (var e in script) mine.Add((e, raise(cell, e)));
            results[i] = mine;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return results.SelectMany(r => r).ToList();
    }

    // Each case raises hundreds of events from sixteen threads: at most 100 cases.
    [TraceProperty(AtMost = 100)]
    public Property Sixteen_threads_on_one_trace_give_the_sequential_fold_of_the_order_the_cell_linearised(ThreadsPlan plan) =>
        Linearisable(plan, Real);

    [Fact]
    public void A_cell_that_reads_folds_and_writes_without_compare_and_swap_is_caught() =>
        Assert.ThrowsAny<Exception>(() =>
            Prop.ForAll(Plans.Unshrunk(Plans.Threads), plan => Linearisable(plan, ReadFoldWrite)).Check(TracePropertyAttribute.MustFind(100)));

    [Fact]
    public void A_span_cell_that_reads_folds_and_writes_without_compare_and_swap_is_caught() =>
        Assert.ThrowsAny<Exception>(() =>
            Prop.ForAll(Plans.Unshrunk(Plans.Threads), plan => Linearisable(plan, SpanReadFoldWrite)).Check(TracePropertyAttribute.MustFind(100)));

    /// <summary>The claim: the cell's outcome is the sequential fold of the order it linearised, with no event lost or doubled.</summary>
    internal static Property Linearisable(ThreadsPlan plan, Raiser raise)
    {
        var scripts = Enumerable.Range(0, Threads).Select(t => ThreadScript(t, plan.Threads.ElementAtOrDefault(t))).ToList();
        // The trace ends after all threads (a byte of 0 mod 3) or from thread 0, at a point of its script.
        var endsDuringRun = plan.End % 3 != 0;
        if (endsDuringRun)
            scripts[0].Insert(plan.End % (scripts[0].Count + 1), new TraceEnded(Id, Values.Epoch.AddMinutes(1)));

        var pipeline = NewPipeline();
        var started = new TraceStarted(Id, "agent", Values.Epoch);
        var cell = pipeline.Start(started)!;
        var rootStart = new SpanStarted(Id, Root, null, "plan", SpanType.Agent, Values.Epoch);
        var log = new List<(TraceEvent Event, TraceStep Step)> { (started, new TraceStep(cell.State, null)), (rootStart, cell.Raise(rootStart)) };
        log.AddRange(RaiseConcurrently(cell, scripts, raise));
        foreach (var e in new TraceEvent[] { new SpanEnded(Id, Root, Values.Epoch.AddMinutes(2)), new TraceEnded(Id, Values.Epoch.AddMinutes(3)) })
            log.Add((e, cell.Raise(e)));

        // The order the cells linearised. The trace's own events (starts, ends, the trace's fields) are ordered by the
        // trace's version, the finishing event last; each span's own events by its span's version, all of them before
        // that span's end (its cell closes first). Events of different spans commute, so the sequential fold of that
        // order, each span's events placed just before its end, must give what the cells gave.
        var accepted = log.Where(x => x.Step.Output is not Output.Rejected).ToList();
        static bool Local(TraceEvent e) => e.Target is not null && e is not SpanStarted and not SpanEnded;
        var traceLevel = accepted.Where(x => !Local(x.Event)).OrderBy(x => x.Step.State?.Version ?? int.MaxValue).ToList();
        var bySpan = accepted.Where(x => Local(x.Event)).GroupBy(x => x.Event.Target!.Value)
            .ToDictionary(g => g.Key, g => g.OrderBy(x => x.Step.SpanVersion).ToList());
        var linear = new List<TraceEvent>();
        foreach (var (e, _) in traceLevel)
        {
            if (e is SpanEnded end && bySpan.Remove(end.Span, out var local)) linear.AddRange(local.Select(x => x.Event));
            linear.Add(e);
        }
        var spanOrders = accepted.Where(x => Local(x.Event)).GroupBy(x => x.Event.Target!.Value)
            .All(g => g.Select(x => x.Step.SpanVersion).Order().SequenceEqual(Enumerable.Range(1, g.Count())));
        var traceVersions = traceLevel.Select(x => x.Step.State?.Version ?? int.MaxValue).ToList();
        var sequential = TraceReducer.Fold(linear).Outputs;
        var concurrent = log.Select(x => x.Step.Output).OfType<Output>().ToList();

        TraceRecord? Completed(IEnumerable<Output> outputs) => outputs.OfType<Output.TraceCompleted>().SingleOrDefault()?.Trace;
        IEnumerable<Span> Late(IEnumerable<Output> outputs) => outputs.OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span);
        var lateInOrder = traceLevel.Select(x => x.Step.Output).OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span);
        return Claim.All(
        [
            (bySpan.Count == 0 && linear.Count == accepted.Count, "a span's own events were accepted but the span never ended"),
            (spanOrders, "a span's own events are not numbered 1..n by its cell: no event may be lost or applied twice"),
            (traceVersions.Distinct().Count() == traceVersions.Count && traceVersions[^1] == int.MaxValue,
                "two of the trace's own events share a version, or the finishing event is not last"),
            (pipeline.Counters.Snapshot().EventsPosted == accepted.Count,
                $"the trace counted {pipeline.Counters.Snapshot().EventsPosted} folded events, not the {accepted.Count} accepted"),
            (concurrent.OfType<Output.TraceCompleted>().Count() == 1, "the trace did not complete exactly once"),
            (Completed(concurrent) is { } c && c.Equals(Completed(sequential)), "the completed trace differs from the sequential fold's"),
            (lateInOrder.SequenceEqual(Late(sequential)), "the late spans differ from the sequential fold's"),
            (!sequential.Exists(o => o is Output.Rejected), "the sequential fold refused an event the cell accepted"),
            (cell.State is null, "the trace is still in its cell after its last span and its end"),
            (endsDuringRun || !concurrent.OfType<Output.Rejected>().Any(), "a run that ends the trace after all threads refused an event"),
        ], () => $"{log.Count} events, {log.Count - accepted.Count} refused, trace ended {(endsDuringRun ? "during" : "after")} the run");
    }

    [TraceProperty(AtMost = 50)]
    public Property A_trace_ended_by_sixteen_threads_at_once_completes_exactly_once(byte spans)
    {
        var pipeline = NewPipeline();
        var cell = pipeline.Start(new TraceStarted(Id, "t", Values.Epoch))!;
        for (var i = 0; i < spans % 4; i++) cell.Raise(new SpanStarted(Id, Ids.Span(1, i), null, "open", SpanType.Other, Values.Epoch));
        var ends = Enumerable.Range(0, Threads).Select(_ => new List<TraceEvent> { new TraceEnded(Id, Values.Epoch.AddSeconds(1)) }).ToList();
        var outputs = RaiseConcurrently(cell, ends).Select(x => x.Step.Output).ToList();
        return Claim.All(
        [
            (outputs.OfType<Output.TraceCompleted>().Count() == 1, $"{outputs.OfType<Output.TraceCompleted>().Count()} completions"),
            // With spans still open the trace stays in its cell (its end refused as ended); without, it has left it.
            (outputs.OfType<Output.Rejected>().Count(r => r.Reason == (spans % 4 == 0 ? RejectionReason.UnknownTrace : RejectionReason.TraceEnded))
                == Threads - 1, "the other ends were not refused as ends of an ended trace"),
            (pipeline.Counters.Snapshot().TracesCompleted == 1, "the counters saw another number of completions"),
        ]);
    }

    [Fact]
    public async Task A_trace_disposed_on_sixteen_threads_at_once_is_exported_exactly_once()
    {
        var exporter = new PandaProbe.Exporters.InMemoryTraceExporter();
        await using var client = new PandaProbeClient(new PandaProbeOptions
        {
            Enabled = true, Exporters = { exporter }, RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>(),
        });
        const int Rounds = 200;
        for (var round = 0; round < Rounds; round++)
        {
            var trace = client.StartTrace($"round {round}");
            using (trace.Span("work")) { }
            using var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() => { start.SignalAndWait(); trace.Dispose(); })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Completed);
        Assert.Equal(Rounds, exporter.Traces.Count);
        Assert.Equal(Rounds, exporter.Traces.Select(t => t.Id).Distinct().Count());
        Assert.Equal(Rounds, result.Health.TracesCompleted);
    }
}
