using PandaProbe.Exporters;
using PandaProbe.Model.Enrichment;
using PandaProbe.Model.Sampling;
using PandaProbe.Redaction;

namespace PandaProbe.Pipeline;

/// <summary>
/// What happens to one batch on the export side: each item goes through the one enrichment step
/// (<see cref="Enricher"/>), the sampling decision (<see cref="SamplingPolicy"/>: a completed trace that is not kept
/// leaves with none of its spans, late spans or scores) and the redaction step (<see cref="Redactor"/>), and what comes
/// out is what every consumer sees: the <c>Outputs</c> subscribers and processors, the <c>CompletedTraces</c>
/// subscribers, then each exporter in turn (each isolated from the others' failures and bounded by the export
/// deadline).
/// </summary>
internal sealed class ExportStage
{
    readonly ITraceExporter[] exporters;
    readonly Enricher enricher;
    readonly Redactor redactor;
    readonly SamplingPolicy sampling;
    readonly KeptByRule keptByRule = new();
    readonly PipelineOptions options;
    readonly TimeProvider time;
    readonly PipelineCounters counters;
    readonly IsolatedSubject<Trace> completed;
    readonly IsolatedSubject<Output> outputs;
    readonly Action<Trace>? inspect;
    readonly CancellationTokenSource abort = new();
    readonly System.Collections.Concurrent.ConcurrentQueue<Output> overflow = new();
    int overflowCount;
    CancellationTokenSource? deadline;
    CancellationTokenRegistration abortLink;

    /// <param name="exporters">Where batches go, in order; each isolated from the others' failures.</param>
    /// <param name="enricher">The enrichment every item goes through first.</param>
    /// <param name="options">The export deadline.</param>
    /// <param name="time">The clock of the deadlines.</param>
    /// <param name="counters">Where exports, failures and repairs are counted.</param>
    /// <param name="completed">The <c>CompletedTraces</c> subscribers.</param>
    /// <param name="outputs">The <c>Outputs</c> subscribers (processors).</param>
    /// <param name="inspect">Runs for each enriched trace before export (a check that only warns).</param>
    /// <param name="redactor">What of each item may leave (everything when null).</param>
    /// <param name="sampling">Which traces are kept (all when null).</param>
    public ExportStage(ITraceExporter[] exporters, Enricher enricher, PipelineOptions options, TimeProvider time,
        PipelineCounters counters, IsolatedSubject<Trace> completed, IsolatedSubject<Output> outputs, Action<Trace>? inspect,
        Redactor? redactor = null, SamplingPolicy? sampling = null)
    {
        this.exporters = exporters;
        this.enricher = enricher;
        this.redactor = redactor ?? Redactor.Off;
        this.sampling = sampling ?? SamplingPolicy.KeepAll;
        this.options = options;
        this.time = time;
        this.counters = counters;
        this.completed = completed;
        this.outputs = outputs;
        this.inspect = inspect;
    }

    /// <summary><c>true</c> when an exporter keeps what it cannot deliver now (the platform exporter's spool).</summary>
    public bool Spools => exporters.Any(e => e is IDurableExporter { Spools: true });

    /// <summary>
    /// Takes an item the full export queue pushed out, to be written to the spool by the export side (no file is
    /// touched on the caller's thread); false when the spill-over is full too (the item is then lost, and counted).
    /// </summary>
    public bool Overflow(Output item, int capacity)
    {
        if (Interlocked.Increment(ref overflowCount) > capacity)
        {
            Interlocked.Decrement(ref overflowCount);
            return false;
        }
        overflow.Enqueue(item);
        return true;
    }

    readonly System.Collections.Concurrent.ConcurrentQueue<TraceId> keepAhead = new();

    /// <summary>
    /// A trace pushed out of a full queue (and past the spill-over) whose write-ahead copy is to be published by the
    /// export side; false when there is no platform exporter to do it.
    /// </summary>
    public bool KeepWrittenAheadLater(TraceId id)
    {
        if (!Spools) return false;
        keepAhead.Enqueue(id);
        return true;
    }

    /// <summary>Writes what the full queue pushed out to the spool; what cannot be spooled is counted as dropped.</summary>
    public void SpillOverflow()
    {
        while (keepAhead.TryDequeue(out var id))
        {
            // Counted as spooled by the exporter that kept it (Health.Spooled reads the delivery counters).
            if (!exporters.OfType<IDurableExporter>().Any(durable => durable.KeepWrittenAhead(id))) counters.Dropped(DropReason.ExportQueueFull);
        }
        if (Volatile.Read(ref overflowCount) == 0) return;
        var items = new List<Output>();
        while (overflow.TryDequeue(out var item))
        {
            Interlocked.Decrement(ref overflowCount);
            items.Add(item);
        }
        var lost = Spill(items);
        if (lost > 0) counters.Dropped(DropReason.ExportQueueFull, lost);
    }

    /// <summary>
    /// Writes export items to the spool at once, without trying to deliver them (the queue overflowed, or the shutdown
    /// deadline passed): enriched, sampled and redacted as in a batch. Returns how many items no exporter accounted for
    /// (neither kept nor counted as failed by it), for the caller to count.
    /// </summary>
    public int Spill(IReadOnlyCollection<Output> items)
    {
        var (traces, late, scores) = (new List<Trace>(), new List<Span>(), new List<Score>());
        foreach (var item in items)
        {
            if (!IsExportItem(item)) continue;
            var enriched = Enrich(item);
            if (!Kept(enriched))
            {
                counters.SampledOut();
                continue;
            }
            switch (Redact(enriched))
            {
                case Output.TraceCompleted c: traces.Add(c.Trace); break;
                case Output.SpanCompleted s: late.Add(s.Span); break;
                case Output.ScoreSubmitted s: scores.Add(s.Score); break;
            }
        }
        var batch = new ExportBatch(traces, late, scores);
        if (batch.Count == 0) return 0;
        var (kept, failed) = (0, 0);
        foreach (var exporter in exporters)
            if (exporter is IDurableExporter durable && durable.SpoolNow(batch) is var result && result.Kept >= kept)
                (kept, failed) = result;
        if (failed > 0) counters.Failed(failed);   // already reported by the exporter, with its reason
        return batch.Count - kept - failed;
    }

    /// <summary>
    /// Write-ahead (on the thread that completed the trace): the trace as it will be exported (enriched, sampled,
    /// redacted) is put in the platform exporter's spool before the caller goes on. Never throws.
    /// </summary>
    public void WriteAhead(Output.TraceCompleted completed)
    {
        try
        {
            var enriched = Enrich(completed, count: false);
            if (!Kept(enriched) || Redact(enriched) is not Output.TraceCompleted ready) return;
            foreach (var exporter in exporters)
                if (exporter is IDurableExporter durable) durable.WriteAhead(ready.Trace);
        }
        catch (Exception ex) { SelfLog.Write($"writing trace {completed.Trace.Id} ahead failed: {ex.Message}"); }
    }

    /// <summary>Enriches, publishes and exports one batch. Never throws.</summary>
    public async ValueTask ProcessAsync(Output[] items)
    {
        SpillOverflow();
        List<Trace>? traces = null;
        List<Span>? late = null;
        List<Score>? scores = null;
        foreach (var item in items)
        {
            var enriched = Enrich(item);
            if (!Kept(enriched))
            {
                counters.SampledOut();
                continue;
            }
            if (Redact(enriched) is not { } output) continue;
            if (outputs.HasSubscribers) outputs.Publish(output);
            switch (output)
            {
                case Output.TraceCompleted c:
                    Inspect(c.Trace);
                    completed.Publish(c.Trace);
                    (traces ??= []).Add(c.Trace);
                    break;
                case Output.SpanCompleted { AfterTrace: true } s:
                    (late ??= []).Add(s.Span);
                    break;
                case Output.ScoreSubmitted s:
                    (scores ??= []).Add(s.Score);
                    break;
            }
        }
        var count = (traces?.Count ?? 0) + (late?.Count ?? 0) + (scores?.Count ?? 0);
        if (count > 0) await ExportAsync(new ExportBatch(traces ?? [], late ?? [], scores ?? [])).ConfigureAwait(false);
    }

    /// <summary>Completed traces, late spans and scores go to the exporters; starts and span ends only to subscribers.</summary>
    public static bool IsExportItem(Output item) =>
        item is Output.TraceCompleted or Output.SpanCompleted { AfterTrace: true } or Output.ScoreSubmitted;

    /// <summary>
    /// The sampling decision: a completed trace by the policy (remembered when only a rule kept it), a late span or a
    /// score by its trace's decision; starts and span ends (seen by processors only) always pass.
    /// </summary>
    bool Kept(Output item)
    {
        if (sampling.KeepsAll) return true;
        lock (keptByRule) return KeptLocked(item);
    }

    bool KeptLocked(Output item)
    {
        switch (item)
        {
            case Output.TraceCompleted c:
                var decision = sampling.AtEnd(c.Trace);
                if (decision == SampleDecision.KeptByRule) keptByRule.Add(c.Trace.Id);
                return decision != SampleDecision.Dropped;
            case Output.SpanCompleted { AfterTrace: true } late:
                return sampling.HeadKeeps(late.Span.Trace) || keptByRule.Contains(late.Span.Trace);
            case Output.ScoreSubmitted s:
                return sampling.HeadKeeps(s.Score.Trace) || keptByRule.Contains(s.Score.Trace);
            default:
                return true;
        }
    }

    /// <summary>The item as it may leave, or null (counted) when redacting it failed: nothing leaves unredacted.</summary>
    Output? Redact(Output item)
    {
        try { return redactor.Apply(item); }
        catch (Exception ex)
        {
            counters.Dropped(DropReason.RedactionFailed);
            SelfLog.Write($"redacting {item.GetType().Name} failed, it is not exported: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The ids of traces the ratio would have dropped but a rule kept, so their late spans and scores are kept too: the
    /// last <see cref="Capacity"/> of them (used by the export side only, one thread at a time).
    /// </summary>
    sealed class KeptByRule
    {
        const int Capacity = 10_000;
        readonly System.Collections.Generic.HashSet<TraceId> ids = [];
        readonly Queue<TraceId> order = new();

        public void Add(TraceId id)
        {
            if (!ids.Add(id)) return;
            order.Enqueue(id);
            if (order.Count > Capacity) ids.Remove(order.Dequeue());
        }

        public bool Contains(TraceId id) => ids.Contains(id);
    }

    Output Enrich(Output item, bool count = true)
    {
        try
        {
            var (output, adjustments) = enricher.Output(item);
            if (count && !adjustments.IsEmpty)
            {
                counters.Adjusted(adjustments.Count);
                if (SelfLog.IsEnabled)
                    foreach (var a in adjustments) SelfLog.Write($"adjusted {a}");
            }
            return output;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"enriching {item.GetType().Name} failed, passing it on unenriched: {ex.Message}");
            return item;
        }
    }

    void Inspect(Trace trace)
    {
        if (inspect is null) return;
        try { inspect(trace); }
        catch (Exception ex) { SelfLog.Write($"inspecting trace {trace.Id} failed: {ex.Message}"); }
    }

    /// <summary>Cancels exports in progress (shutdown deadline).</summary>
    public void Abort()
    {
        try { abort.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Hands the batch to each exporter in turn. A user's exporter is bounded by the export deadline; the platform
    /// exporter bounds its own work (request timeouts, retry budgets, its spool) and is cancelled only by the shutdown
    /// deadline, so nothing waiting behind a 429 pause is dropped for waiting.
    /// </summary>
    async Task ExportAsync(ExportBatch batch)
    {
        var (worstFailed, worstUnsent) = (0, 0);
        foreach (var exporter in exporters)
        {
            ExportResult result;
            var call = exporter is IDurableExporter ? null : RentDeadline();   // it bounds its own work
            try
            {
                result = await exporter.ExportAsync(batch, call?.Token ?? abort.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                result = ExportResult.Failure(batch.Count, $"{ex.GetType().Name}: {ex.Message}");
            }
            if (call is not null) ReturnDeadline(call);
            if (!result.IsSuccess)
            {
                SelfLog.Write($"exporter '{SafeName(exporter)}' failed {result.Failed} of {batch.Count} items: {result.Error}");
                worstFailed = Math.Max(worstFailed, Math.Min(result.Failed, batch.Count));
            }
            worstUnsent = Math.Max(worstUnsent, Math.Min(result.Failed + result.Deferred, batch.Count));
        }
        counters.Exported(batch.Count - worstUnsent);
        if (worstFailed > 0) counters.Failed(worstFailed);
    }

    /// <summary>
    /// A token that cancels after the export timeout or on <see cref="Abort"/>. One source is reused across calls (its
    /// timer re-armed, not re-created) until a call actually times out or is aborted.
    /// </summary>
    CancellationTokenSource RentDeadline()
    {
        if (deadline is null)
        {
            deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            abortLink = abort.Token.UnsafeRegister(static d => { try { ((CancellationTokenSource)d!).Cancel(); } catch (ObjectDisposedException) { } }, deadline);
        }
        deadline.CancelAfter(options.ExportTimeout);
        return deadline;
    }

    void ReturnDeadline(CancellationTokenSource call)
    {
        if (call.TryReset()) return;   // stops the timer; the source serves the next call
        abortLink.Dispose();
        call.Dispose();
        deadline = null;
    }

    /// <summary>Shuts every exporter down, each within the export deadline. Never throws.</summary>
    public async Task ShutdownExportersAsync()
    {
        deadline?.Dispose();
        deadline = null;
        foreach (var exporter in exporters)
        {
            try
            {
                using var limit = new CancellationTokenSource(options.ExportTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, abort.Token);
                await exporter.ShutdownAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) { SelfLog.Write($"exporter '{SafeName(exporter)}' failed to shut down: {ex.Message}"); }
        }
    }

    static string SafeName(ITraceExporter exporter)
    {
        try { return exporter.Name; } catch { return exporter.GetType().Name; }
    }
}
