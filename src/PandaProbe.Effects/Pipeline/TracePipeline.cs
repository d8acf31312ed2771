using PandaProbe.Messages;
using PandaProbe.Http;
using System.Reactive.Concurrency;
using PandaProbe.Exporters;
using PandaProbe.Model.Enrichment;
using PandaProbe.Model.Sampling;
using PandaProbe.Redaction;

namespace PandaProbe.Pipeline;

/// <summary>
/// One tracing pipeline. Each trace lives in its own <see cref="TraceCell"/>, advanced by the pure reducer on the
/// thread that raised the event; the reducer's outputs are routed here on that same thread: completed traces, late
/// spans and scores (and, while processors or <see cref="Outputs"/> subscribers are attached, the starts and ends they
/// see) enter the export composition (<see cref="ExportPipeline"/>), which batches them on the injected
/// <see cref="IScheduler"/>, prepares them once (<see cref="Preparation"/>) and hands them to each exporter in its own
/// lane. Raw events reach <see cref="Events"/> subscribers, each on its own bounded queue, and cost nothing while there
/// are none.
/// </summary>
internal sealed class TracePipeline : IAsyncDisposable
{
    readonly IsolatedSubject<TraceEvent> events;
    readonly IsolatedSubject<TraceRecord> completed;
    readonly IsolatedSubject<Output> outputs;
    readonly ExportPipeline export;
    readonly Preparation prepare;
    readonly TimeProvider time;
    readonly Action<TraceRecord>? completedSink;
    readonly object shutdownGate = new();
    readonly ExportScheduler? ownScheduler;
    readonly bool spools;
    readonly bool writeAhead;
    readonly bool live;   // live mode: starts and span ends of open traces are exported as progress
    readonly OpenTraces? open;
    readonly PandaProbe.Http.RateLimitedLog warnings;
    readonly System.Diagnostics.Metrics.Meter meter;
    volatile bool closed;
    Task? shutdown;

    /// <summary>Starts a pipeline exporting to <paramref name="exporters"/>.</summary>
    /// <param name="exporters">Where completed items go; each is isolated from the others' failures and delays.</param>
    /// <param name="options">Batching and queue settings (defaults when null).</param>
    /// <param name="time">The clock of the export deadlines and flush timeouts (system clock when null).</param>
    /// <param name="scheduler">
    /// Where the export side runs and its interval timer ticks; when null the pipeline runs its own
    /// <see cref="ExportScheduler"/> (one background thread) and stops it at shutdown.
    /// </param>
    /// <param name="enricher">The enrichment every completed item goes through (limits only when null).</param>
    /// <param name="completedSink">
    /// Told of every sub-agent trace (one with a parent trace) as it completes, on the thread that completed it (before
    /// enrichment); must be quick and must not block. Its exceptions are caught and counted as subscriber errors.
    /// </param>
    /// <param name="redactor">What of each item may leave the process (everything when null).</param>
    /// <param name="sampling">Which traces are kept (all when null).</param>
    /// <param name="warn">Where drops are reported, at most once per 10 seconds per kind (<see cref="SelfLog"/> when null).</param>
    /// <param name="abandonAfter">
    /// How long a trace may go without an event before it is closed as abandoned, marked and exported; null or
    /// <see cref="Timeout.InfiniteTimeSpan"/> never closes one (and keeps no list of open traces).
    /// </param>
    /// <param name="rateFit">The rate-fit sampler (<c>Sampling.FitPlatformRate</c>), when on.</param>
    /// <param name="live">Live mode: starts and span ends of open traces are exported as progress (<see cref="ExportBatch.Running"/>).</param>
    /// <param name="writeAhead">
    /// Put each completed trace in the platform exporter's spool, on disk, before the call that completed it returns.
    /// </param>
    public TracePipeline(IEnumerable<ITraceExporter> exporters, PipelineOptions? options = null, TimeProvider? time = null,
        IScheduler? scheduler = null, Enricher? enricher = null, Action<TraceRecord>? completedSink = null,
        Redactor? redactor = null, SamplingPolicy? sampling = null, Action<string>? warn = null, bool writeAhead = false,
        TimeSpan? abandonAfter = null, RateFitSampler? rateFit = null, bool live = false)
    {
        ArgumentNullException.ThrowIfNull(exporters);
        Options = options ?? PipelineOptions.Default;
        this.time = time ?? TimeProvider.System;
        if (scheduler is null) ownScheduler = new ExportScheduler();
        Scheduler = scheduler ?? ownScheduler!;
        this.completedSink = completedSink;
        Counters = new PipelineCounters();
        events = new IsolatedSubject<TraceEvent>("Events", Options.SubscriberQueueCapacity, Counters);
        completed = new IsolatedSubject<TraceRecord>("CompletedTraces", Options.SubscriberQueueCapacity, Counters);
        outputs = new IsolatedSubject<Output>("Outputs", Options.SubscriberQueueCapacity, Counters);
        prepare = new Preparation(enricher ?? Enricher.LimitsOnly, redactor ?? Redactor.Off, sampling ?? SamplingPolicy.KeepAll,
            Counters, completed, outputs, this.time, rateFit) { Live = live };
        this.live = live;
        warnings = new PandaProbe.Http.RateLimitedLog(warn ?? SelfLog.Write, this.time);
        var all = exporters.Where(e => e is not null).ToArray();
        export = new ExportPipeline(all, prepare, Options, Scheduler, this.time, Counters, Dropped, LaneFull);
        spools = export.Spools;
        if (abandonAfter is { } after && after > TimeSpan.Zero && after != Timeout.InfiniteTimeSpan)
            open = new OpenTraces(after, Scheduler, this.time, Counters, () => closed);
        this.writeAhead = writeAhead && spools;
        Counters.ReadFrom(export);
        Counters.ReadDeliveryFrom(all.OfType<IDurableExporter>().Select(e => e.Metrics));
        meter = Counters.Publish();
    }

    /// <summary>The validated settings.</summary>
    public PipelineOptions Options { get; }

    /// <summary>The cumulative counters.</summary>
    public PipelineCounters Counters { get; }

    /// <summary>The meter this pipeline's counters are published on (<see cref="PipelineCounters.Publish"/>).</summary>
    internal System.Diagnostics.Metrics.Meter Meter => meter;

    /// <summary>Where the export side runs.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>The enrichment every completed item goes through.</summary>
    public Enricher Enricher => prepare.Enricher;

    /// <summary>What of each item may leave the process.</summary>
    public Redactor Redactor => prepare.Redactor;

    /// <summary>Which traces are kept.</summary>
    public SamplingPolicy Sampling => prepare.Sampling;

    /// <summary>A completed trace as every consumer sees it: enriched, then redacted (what <c>Summary()</c> reads).</summary>
    public TraceRecord Describe(TraceRecord trace) => prepare.Describe(trace);

    /// <summary>Every event, after it was folded, delivered to each subscriber on its own bounded queue.</summary>
    public IObservable<TraceEvent> Events => events;

    /// <summary>Every completed trace, enriched, delivered to each subscriber on its own bounded queue.</summary>
    public IObservable<TraceRecord> CompletedTraces => completed;

    /// <summary>Every reducer output (starts, ends, completions, rejections), enriched, for processors.</summary>
    public IObservable<Output> Outputs => outputs;

    /// <summary>True once shutdown began: events are no longer folded (they are counted as dropped).</summary>
    public bool IsClosed => closed;

    /// <summary>
    /// <c>true</c> while someone subscribes to <see cref="Events"/> or <see cref="Outputs"/> (whose rejections carry
    /// their event): the only readers of a setter's time.
    /// </summary>
    public bool EventsObserved => events.HasSubscribers || outputs.HasSubscribers;

    /// <summary>Items waiting for export or being exported.</summary>
    public long Pending => Counters.PendingNow;

    /// <summary>
    /// Starts a trace: folds <paramref name="started"/> into a new cell and routes its output. Returns null (and counts
    /// the event as dropped) after shutdown.
    /// </summary>
    public TraceCell? Start(TraceEvent.TraceStarted started)
    {
        if (started is null) return null;
        if (closed)
        {
            Counters.Dropped(DropReason.AfterShutdown);
            return null;
        }
        // The facade mints every span id of the trace (SpanId.New), so no ended span's id needs to be kept.
        var (state, output) = TraceReducer.Start(started, mintedIds: true);
        var cell = new TraceCell(this, started.Trace, state!, started.At);
        open?.Add(cell);
        Route(started, output);
        return cell;
    }

    /// <summary>A trace has finished (it and its late spans have ended): it leaves the open-traces list.</summary>
    internal void Finished(TraceCell cell) => open?.Remove(cell);

    /// <summary>Traces started and not finished (0 when abandoned traces are not tracked).</summary>
    public int OpenTraceCount => open?.Count ?? 0;

    /// <summary>The open-traces list, when abandoned traces are closed (tests run its sweep).</summary>
    internal OpenTraces? Open => open;

    /// <summary>Records a score (it needs no open trace: scores pass through in order).</summary>
    public void Record(TraceEvent.ScoreRecorded score)
    {
        if (score is null) return;
        if (closed)
        {
            Counters.Dropped(DropReason.AfterShutdown);
            return;
        }
        var (_, output) = TraceReducer.Apply((OpenTrace?)null, score);
        Route(score, output, folded: 1);
    }

    /// <summary>
    /// Routes one folded event and its output (on the thread that raised it); <paramref name="folded"/> is the event
    /// count of a trace that has just finished (0 otherwise).
    /// </summary>
    internal void Route(TraceEvent e, Output? output, long folded = 0)
    {
        switch (output)
        {
            case null:
                break;
            case Output.TraceCompleted c:
                if (completedSink is not null && c.Trace.ParentTrace is not null) Sink(c.Trace);
                if (writeAhead) export.WriteAhead(c);   // opt-in: on disk before the caller goes on
                Enqueue(c, folded);
                break;
            case Output.SpanStarted { LateChild: true }:
                Counters.LateChild();
                if (outputs.HasSubscribers) Enqueue(output, folded);
                break;
            case Output.Rejected r:
                Counters.Rejected(r.Reason);
                if (SelfLog.IsEnabled) SelfLog.Write($"rejected {r.Event.GetType().Name}: {r.Detail}");
                if (outputs.HasSubscribers) Enqueue(r);
                break;
            default:
                if (Preparation.IsExportItem(output) || outputs.HasSubscribers || live && Preparation.IsProgress(output)) Enqueue(output, folded);
                break;
        }
        if (events.HasSubscribers) events.Publish(e);
    }

    void Enqueue(Output output, long folded = 0)
    {
        if (!export.Add(output, folded)) Counters.Dropped(DropReason.AfterShutdown);
    }

    /// <summary>
    /// An item the full queue pushed out (called under the queue's lock, on the caller's thread: no I/O here). With a
    /// spool it is handed to the export side, which writes it there; otherwise it is lost and counted.
    /// </summary>
    void Dropped(Output output)
    {
        if (Preparation.IsExportItem(output))
        {
            if (spools && export.Overflow(output)) return;
            // Its write-ahead copy, if any, is published by the export side instead (no file work under this lock).
            if (writeAhead && output is Output.TraceCompleted c && export.KeepWrittenAheadLater(c.Trace.Id)) return;
            Counters.Dropped(DropReason.ExportQueueFull);
            if (output is Output.TraceCompleted lost) Counters.Deliveries.Settle(lost.Trace, LaneOutcome.AllDropped(1, DropReason.ExportQueueFull));
            warnings.Write("queue", n => $"the export queue is full: {n} item(s) dropped (raise MaxQueueSize, or lower the rate of traces).");
        }
        else if (live && Preparation.IsProgress(output) && !outputs.HasSubscribers) { }   // progress: the completed trace carries it again
        else Counters.Dropped(DropReason.SubscriberQueueFull);
    }

    /// <summary>An exporter's lane was full: it lost its oldest waiting items (counted when every lane settled them).</summary>
    void LaneFull(string exporter, int items) =>
        warnings.Write("lane:" + exporter, n => $"exporter '{exporter}' fell behind: {n} item(s) dropped from its queue (raise MaxQueueSize, or lower the rate of traces).", items);

    void Sink(TraceRecord trace)
    {
        try { completedSink!(trace); }
        catch (Exception ex)
        {
            Counters.SubscriberError();
            SelfLog.Write($"the completed-trace sink threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Waits until everything completed before the call has been exported (or dropped), or until
    /// <paramref name="timeout"/> passes. Never throws.
    /// </summary>
    /// <param name="timeout">The deadline.</param>
    /// <param name="trySpool">Also give the platform exporter's spool one pass in the time left.</param>
    public async Task<FlushResult> FlushAsync(TimeSpan timeout, bool trySpool = true)
    {
        var before = Counters.Totals();
        var started = time.GetTimestamp();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        export.Flush(done, Pending);
        var inTime = await Within(done.Task, timeout).ConfigureAwait(false);
        // Then one try of the spool, in the time left.
        if (trySpool && inTime && export.Durables.Count > 0 && timeout - time.GetElapsedTime(started) is var left && left > TimeSpan.Zero)
        {
            using var limit = new CancellationTokenSource(left, time);
            foreach (var durable in export.Durables) await durable.DrainAsync(limit.Token).ConfigureAwait(false);
        }
        return Result(inTime, before, trySpool);
    }

    /// <summary>
    /// One trace's flush: sends what is queued now (a flush marker) and waits until the delivery carrying the trace has
    /// been settled by every exporter (not for what was queued after it, nor for the spool), at most
    /// <paramref name="timeout"/>. <paramref name="delivered"/> is the wait <see cref="TraceDeliveries.Watch"/> began
    /// before the trace completed. The result counts this trace alone, from the worst lane's outcome for the delivery
    /// that carried it: exported, dropped (failed or dropped by an exporter) or spooled; nothing for a trace that will
    /// not be delivered (sampled out); not completed when it was not settled in time.
    /// </summary>
    public async Task<FlushResult> FlushTraceAsync(TraceId trace, SpanId? continuation, TaskCompletionSource<LaneOutcome?> delivered, TimeSpan timeout)
    {
        export.Flush(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Pending);
        var inTime = false;
        try { inTime = await Within(delivered.Task, timeout).ConfigureAwait(false); }
        finally { if (!inTime) Counters.Deliveries.Forget(trace, continuation, delivered); }
        var health = Counters.Snapshot();
        // No outcome: the trace will not be delivered (sampled out, lost): settled, nothing exported.
        var outcome = inTime ? delivered.Task.Result : null;
        var lost = outcome is { } o && (o.Dropped > 0 || o.Failed > 0);
        return new FlushResult(inTime, health)
        {
            Exported = outcome is { Unsent: 0 } ? 1 : 0,
            Dropped = lost ? 1 : 0,
            Spooled = outcome is { Unsent: > 0 } && !lost ? 1 : 0,
            Unfinished = inTime ? [] : health.Exporters.Where(e => e.Pending > 0).Select(e => e.Name).ToArray(),
        };
    }

    /// <summary>
    /// Stops folding events, exports everything already completed, then shuts the exporters down, all within
    /// <paramref name="timeout"/>; what is left at the deadline is dropped and counted. Idempotent; never throws.
    /// </summary>
    public async Task<FlushResult> ShutdownAsync(TimeSpan timeout)
    {
        var before = Counters.Totals();
        bool first;
        Task task;
        lock (shutdownGate)
        {
            first = shutdown is null;
            closed = true;
            task = shutdown ??= RunShutdownAsync();
        }
        var inTime = await Within(task, timeout).ConfigureAwait(false);
        if (!inTime && first)
        {
            // What is still queued goes to the spool (or is counted as lost); what is being sent is cancelled (the
            // platform exporter spools it). Nothing more is awaited: the call returns at its deadline.
            var lost = export.Abort();
            if (lost > 0) warnings.Write("deadline", n => $"the shutdown deadline passed: {n} item(s) were neither delivered nor spooled.", lost);
            events.Complete();
            completed.Complete();
            outputs.Complete();
            ownScheduler?.Dispose();
            meter.Dispose();
        }
        return Result(inTime, before);
    }

    async Task RunShutdownAsync()
    {
        export.Complete();
        await export.Finished.ConfigureAwait(false);
        events.Complete();
        completed.Complete();
        outputs.Complete();
        await Task.WhenAll(events.DrainAsync(), completed.DrainAsync(), outputs.DrainAsync()).ConfigureAwait(false);
        ownScheduler?.Dispose();
        meter.Dispose();
    }

    async Task<bool> Within(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException) { return false; }
    }

    FlushResult Result(bool completedInTime, (long Exported, long Dropped, long Spooled, long Replayed) before, bool countSpool = true)
    {
        var health = Counters.Snapshot();
        var after = Counters.Totals();
        long waiting = 0;
        // A flush for one trace's FlushOnDispose does not read the spool's folder (it would, per trace).
        foreach (var durable in countSpool ? export.Durables : [])
        {
            try { waiting += durable.Waiting; } catch (Exception) { /* a spool that cannot be read counts as empty */ }
        }
        return new FlushResult(completedInTime, health)
        {
            Exported = after.Exported - before.Exported,
            Dropped = after.Dropped - before.Dropped,
            Spooled = after.Spooled - before.Spooled,
            Replayed = after.Replayed - before.Replayed,
            StillSpooled = waiting,
            Unfinished = completedInTime ? [] : health.Exporters.Where(e => e.Pending > 0).Select(e => e.Name).ToArray(),
        };
    }

    /// <summary>Shuts the pipeline down with a 10 second deadline.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
}
