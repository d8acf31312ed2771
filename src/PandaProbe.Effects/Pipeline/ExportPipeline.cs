using System.Collections.Concurrent;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>
/// The export side as one observable composition, from completed items to the exporters:
/// <code>
/// completed traces, late spans, scores (from the callers' threads)
///   → BatchOperator              bounded; wakes per batch, per interval or per flush, on the injected IScheduler
///   → Do(SpillOverflow)          what the full queue pushed out goes to the spool, here and nowhere else
///   → Select(Preparation.Deliver) enrich, sample, redact; Outputs and CompletedTraces subscribers
///   → Publish                    one prepared delivery, shared by every exporter
///   → per exporter: ConcatBounded(FromValueTask(export)) → Concat(FromAsync(shutdown))
/// </code>
/// Each exporter has its own lane (<see cref="ExporterLane"/>): a slow, hung or throwing exporter delays and loses only
/// its own deliveries. A delivery is counted once, when every lane has settled it; a flush is a marker that follows
/// everything before it through every lane.
/// </summary>
internal sealed class ExportPipeline
{
    readonly BatchOperator batches;
    readonly ExporterLane[] lanes;
    readonly Preparation prepare;
    readonly PipelineCounters counters;
    readonly IDurableExporter[] durables;
    readonly ConcurrentQueue<Output> overflow = new();
    readonly ConcurrentQueue<TraceId> keepAhead = new();
    readonly TaskCompletionSource prepared = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly int overflowCapacity;
    int overflowCount;

    /// <param name="exporters">Where deliveries go; each in its own lane.</param>
    /// <param name="prepare">The one preparation step.</param>
    /// <param name="options">Batching, capacities and the export deadline.</param>
    /// <param name="scheduler">Where the batch operator wakes.</param>
    /// <param name="time">The clock of the export deadlines.</param>
    /// <param name="counters">Where deliveries are counted.</param>
    /// <param name="dropped">Told of each item the full queue dropped, on the caller's thread under the queue's lock (no I/O).</param>
    /// <param name="laneFull">Told how many items an exporter's full lane dropped.</param>
    public ExportPipeline(ITraceExporter[] exporters, Preparation prepare, PipelineOptions options, IScheduler scheduler,
        TimeProvider time, PipelineCounters counters, Action<Output> dropped, Action<string, int> laneFull)
    {
        this.prepare = prepare;
        this.counters = counters;
        durables = exporters.OfType<IDurableExporter>().ToArray();
        Spools = durables.Any(d => d.Spools);
        overflowCapacity = options.MaxQueueSize;
        batches = new BatchOperator(options.MaxQueueSize, options.BatchSize, options.FlushInterval, scheduler, dropped);
        lanes = exporters.Select(e => new ExporterLane(e, options, time, n => laneFull(SafeName(e), n))).ToArray();

        var deliveries = batches
            .Do(_ => SpillOverflow())
            .Select(Prepare)
            .Where(delivery => delivery is not null)
            .Select(delivery => delivery!)
            .Finally(() => prepared.TrySetResult())
            .Publish();
        foreach (var lane in lanes) lane.Attach(deliveries);
        deliveries.Connect();
    }

    /// <summary><c>true</c> when an exporter keeps what it cannot deliver now (the platform exporter's spool).</summary>
    public bool Spools { get; }

    /// <summary>Completes once everything has been delivered and every exporter shut down (after <see cref="Complete"/>).</summary>
    public Task Finished => Task.WhenAll(lanes.Select(l => l.Done).Append(prepared.Task));

    /// <summary>Traces completed, events folded by finished traces, and items waiting in the queue.</summary>
    public (long CompletedTraces, long FoldedEvents, int Waiting) Counts => batches.Counts;

    /// <summary>Each exporter's own health, in the order they were configured.</summary>
    public IReadOnlyList<ExporterHealth> Exporters => System.Array.ConvertAll(lanes, l => l.Health);

    /// <summary>The exporters that keep a spool (the platform exporter).</summary>
    public IReadOnlyList<IDurableExporter> Durables => durables;

    /// <summary>Adds a completed item (on the caller's thread); false after <see cref="Complete"/>.</summary>
    public bool Add(Output item, long folded = 0) => batches.Add(item, folded);

    /// <summary>Completes <paramref name="done"/> once everything added before the call has been delivered or dropped.</summary>
    public void Flush(TaskCompletionSource done, long pending)
    {
        if (pending == 0 && overflow.IsEmpty) done.TrySetResult();   // nothing to wait for: no wake-up
        else batches.Flush(done);
    }

    /// <summary>Takes no more items; what waits is delivered, then the exporters are shut down (<see cref="Finished"/>).</summary>
    public void Complete() => batches.OnCompleted();

    /// <summary>
    /// The shutdown deadline passed: what waits in the queue is spooled (or counted as lost, returned), the lanes are
    /// aborted (their exports in progress cancelled, what waits in them spooled or counted).
    /// </summary>
    public int Abort()
    {
        var left = batches.Abort();
        var exportItems = left.Where(Preparation.IsExportItem).ToArray();
        if (left.Length > exportItems.Length) counters.Dropped(DropReason.ShutdownDeadline, left.Length - exportItems.Length);
        var lost = Spill(exportItems);
        SpillOverflow();
        foreach (var lane in lanes) lane.Abort();
        prepared.TrySetResult();
        if (lost > 0) counters.Dropped(DropReason.ShutdownDeadline, lost);
        return lost;
    }

    /// <summary>
    /// Takes an item the full queue pushed out, to be written to the spool by the export side (no file is touched on the
    /// caller's thread); false when the spill-over is full too (the item is then lost, and counted by the caller).
    /// </summary>
    public bool Overflow(Output item)
    {
        if (Interlocked.Increment(ref overflowCount) > overflowCapacity)
        {
            Interlocked.Decrement(ref overflowCount);
            return false;
        }
        overflow.Enqueue(item);
        return true;
    }

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

    /// <summary>
    /// Write-ahead (on the thread that completed the trace): the trace as it will be exported is put in the platform
    /// exporter's spool before the caller goes on. Never throws.
    /// </summary>
    public void WriteAhead(Output.TraceCompleted completed)
    {
        try
        {
            if (prepare.Apply(completed, count: false) is not Output.TraceCompleted ready) return;
            foreach (var durable in durables) durable.WriteAhead(ready.Trace);
        }
        catch (Exception ex) { SelfLog.Write($"writing trace {completed.Trace.Id} ahead failed: {ex.Message}"); }
    }

    /// <summary>
    /// One drained batch (or marker) prepared for the lanes. Never throws: a failure (none is known; every step guards
    /// its own) loses that batch, counted, rather than ending the composition and with it every later export.
    /// </summary>
    Delivery? Prepare(Drained drained)
    {
        try { return prepare.Deliver(drained, lanes.Length); }
        catch (Exception ex)
        {
            var lost = drained.Items.Count(Preparation.IsExportItem);
            if (lost > 0) counters.Dropped(DropReason.ExportFailed, lost);
            drained.Flush?.TrySetResult();
            SelfLog.Write($"preparing a batch failed, {lost} item(s) lost: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
    }

    /// <summary>Writes what the full queue pushed out to the spool (on the export side); what cannot be spooled is counted.</summary>
    void SpillOverflow()
    {
        try { SpillOverflowCore(); }
        catch (Exception ex) { SelfLog.Write($"spilling the overflow to the spool failed: {ex.GetType().Name}: {ex.Message}"); }
    }

    void SpillOverflowCore()
    {
        while (keepAhead.TryDequeue(out var id))
        {
            // Counted as spooled by the exporter that kept it (Health.Spooled reads the delivery counters).
            if (!durables.Any(durable => durable.KeepWrittenAhead(id))) counters.Dropped(DropReason.ExportQueueFull);
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
    /// Writes export items to the spool at once, prepared, without trying to deliver them. Returns how many no
    /// exporter accounted for (neither kept nor counted as failed by it), for the caller to count.
    /// </summary>
    int Spill(IReadOnlyCollection<Output> items)
    {
        if (items.Count == 0) return 0;
        var batch = prepare.Batch(items);
        if (batch.Count == 0) return 0;
        var (kept, failed) = (0, 0);
        foreach (var durable in durables)
            if (durable.SpoolNow(batch) is var result && result.Kept >= kept)
                (kept, failed) = result;
        if (failed > 0) counters.Failed(failed);   // already reported by the exporter, with its reason
        // Whoever waits for one of these traces is told now: kept in the spool for later, or lost.
        var spooled = new LaneOutcome(1, 0, 0, default);
        var gone = LaneOutcome.AllDropped(1, DropReason.ExportQueueFull);
        foreach (var trace in batch.Traces) counters.Deliveries.Settle(trace, kept >= batch.Count ? spooled : gone);
        return batch.Count - kept - failed;
    }

    static string SafeName(ITraceExporter exporter)
    {
        try { return exporter.Name; } catch { return exporter.GetType().Name; }
    }
}
