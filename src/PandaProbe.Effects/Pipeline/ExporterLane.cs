using System.Reactive.Linq;
using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>
/// One exporter's side of the export composition: its deliveries in order, one at a time
/// (<see cref="ConcatBoundedOperator.ConcatBounded"/> over <see cref="FromValueTaskOperator.FromValueTask"/>), bounded by
/// its own capacity, then its shutdown. Nothing it does waits for another exporter, and nothing another does waits for it: a
/// hung exporter fills only its own lane (and, past its capacity, loses its own oldest batches, or spools them).
/// </summary>
internal sealed class ExporterLane
{
    readonly ITraceExporter exporter;
    readonly IDurableExporter? durable;
    readonly PipelineOptions options;
    readonly TimeProvider time;
    readonly Action<int> full;
    readonly LaneHealth health;
    readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly CancellationTokenSource abort = new();   // the shutdown deadline: cancels the export in progress
    IDisposable? subscription;
    Delivery? inflight;
    CancellationTokenSource? spareDeadline;   // the export deadline's source, reused across this lane's calls
    CancellationTokenRegistration abortLink;   // cancels it at the shutdown deadline
    volatile bool aborting;
    int shutdownStarted;

    /// <param name="exporter">The exporter.</param>
    /// <param name="options">Its export deadline and its capacity (the queue's).</param>
    /// <param name="time">The clock of the deadlines.</param>
    /// <param name="full">Told how many items its lane dropped to make room (for the warning).</param>
    public ExporterLane(ITraceExporter exporter, PipelineOptions options, TimeProvider time, Action<int> full)
    {
        this.exporter = exporter;
        durable = exporter as IDurableExporter;
        this.options = options;
        this.time = time;
        this.full = full;
        // The platform exporter bounds its own work (request timeouts, retry budgets): it is never judged hung.
        health = new LaneHealth(Name, time, durable is null ? options.ExportTimeout : TimeSpan.Zero);
    }

    /// <summary>The exporter's own health: its counts, last success and failure, and state.</summary>
    public ExporterHealth Health => health.Read(durable?.Problem);

    /// <summary>Completes once the lane has delivered everything it was given and shut its exporter down (or was aborted).</summary>
    public Task Done => done.Task;

    /// <summary>The exporter's name (its type's when the name throws).</summary>
    public string Name
    {
        get
        {
            try { return exporter.Name; } catch { return exporter.GetType().Name; }
        }
    }

    /// <summary>
    /// The lane, read top to bottom: each delivery is exported in order, one at a time, and when the deliveries end the
    /// exporter is shut down.
    /// </summary>
    public void Attach(IObservable<Delivery> deliveries) =>
        subscription = deliveries
            .Do(d =>
            {
                health.Given(d.Count);
                if (durable is not null && d.Batch is { Traces.Count: > 0 } b) durable.Offered(b.Traces.Count);
            })
            .ConcatBounded(d => FromValueTaskOperator.FromValueTask(() => DeliverAsync(d)), options.MaxQueueSize, d => d.Count + (d.Batch is { } b ? b.Running.Count + b.Progress.Count : 0), Dropped)
            .Concat(Observable.FromAsync(ShutdownOnceAsync))
            .Subscribe(_ => { }, _ => done.TrySetResult(), () => done.TrySetResult());

    /// <summary>
    /// The shutdown deadline passed: cancels the export in progress and settles what waits (a durable exporter spools
    /// it). A user's exporter's export in progress is settled now as dropped at the deadline; the platform exporter's
    /// settles itself when its cancelled request has been spooled.
    /// </summary>
    public void Abort()
    {
        aborting = true;
        if (durable is null && Interlocked.Exchange(ref inflight, null) is { } running)
        {
            health.Dropped(running.Count, 0, "the shutdown deadline passed during the export");
            running.Settle(LaneOutcome.AllDropped(running.Count, DropReason.ShutdownDeadline));
        }
        try { abort.Cancel(); } catch (ObjectDisposedException) { }   // the export in progress
        subscription?.Dispose();   // hands what waits, and what arrives later, to Dropped
        // The exporter is still shut down (its shutdown was the lane's last step), with a token already cancelled:
        // the platform exporter stops its replay and releases its client. Not awaited: the deadline has passed.
        _ = ShutdownOnceAsync(abort.Token);
        done.TrySetResult();
    }

    async ValueTask DeliverAsync(Delivery delivery)
    {
        if (delivery.Batch is not { } batch)
        {
            health.Flushed();
            delivery.Settle(LaneOutcome.Delivered);
            return;
        }
        Volatile.Write(ref inflight, delivery);
        if (aborting && durable is null && Interlocked.CompareExchange(ref inflight, null, delivery) == delivery)
        {
            health.Dropped(batch.Count, 0, "the shutdown deadline passed");
            delivery.Settle(LaneOutcome.AllDropped(batch.Count, DropReason.ShutdownDeadline));   // started as the deadline passed
            return;
        }
        health.Started();
        ExportResult result;
        // A user's exporter is bounded by the export deadline; the platform exporter bounds its own work (request
        // timeouts, retry budgets, its spool) and is cancelled only by the shutdown deadline, so nothing waiting
        // behind a 429 pause is dropped for waiting.
        var deadline = durable is null ? RentDeadline() : null;
        try
        {
            result = await exporter.ExportAsync(batch, deadline?.Token ?? abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = ExportResult.Failure(batch.Count, $"{ex.GetType().Name}: {ex.Message}");
        }
        if (deadline is not null) ReturnDeadline(deadline);
        if (!result.IsSuccess) SelfLog.Write($"exporter '{Name}' failed {result.Failed} of {batch.Count} items: {result.Error}");
        if (Interlocked.CompareExchange(ref inflight, null, delivery) == delivery)
        {
            health.Exported(batch.Count, Math.Min(result.Exported, batch.Count), Math.Min(result.Failed, batch.Count), result.Deferred, result.Error);
            delivery.Settle(LaneOutcome.Of(result, batch.Count));
        }
    }

    /// <summary>
    /// A token that cancels after the export timeout. The lane delivers one batch at a time, so one source serves
    /// every call (its timer re-armed, not re-created) until a call actually times out.
    /// </summary>
    CancellationTokenSource RentDeadline()
    {
        if (spareDeadline is null)
        {
            spareDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            abortLink = abort.Token.UnsafeRegister(static d => Cancel((CancellationTokenSource)d!), spareDeadline);
        }
        spareDeadline.CancelAfter(options.ExportTimeout);
        return spareDeadline;
    }

    void ReturnDeadline(CancellationTokenSource source)
    {
        if (source.TryReset()) return;   // stops its timer; it serves the next call
        abortLink.Dispose();
        source.Dispose();
        spareDeadline = null;
    }

    /// <summary>A delivery that did not get its turn: the lane was full (the oldest waiting makes room) or aborted.</summary>
    void Dropped(Delivery delivery)
    {
        if (delivery.Batch is not { } batch)
        {
            delivery.Settle(LaneOutcome.Delivered);
            return;
        }
        var reason = aborting ? DropReason.ShutdownDeadline : DropReason.ExportQueueFull;
        if (durable is { Spools: true })
        {
            var (kept, failed) = durable.SpoolNow(batch, fromLane: true);
            health.Dropped(batch.Count, kept, aborting ? "the shutdown deadline passed" : "its lane was full");
            delivery.Settle(new LaneOutcome(batch.Count, failed, Math.Max(0, batch.Count - kept - failed), reason));
            return;
        }
        if (!aborting) full(batch.Count);
        health.Dropped(batch.Count, 0, aborting ? "the shutdown deadline passed" : "its lane was full (the export queue's size)");
        delivery.Settle(LaneOutcome.AllDropped(batch.Count, reason));
    }

    /// <summary>Shuts the exporter down, once, whether the lane ended or was aborted.</summary>
    Task ShutdownOnceAsync(CancellationToken cancel) =>
        Interlocked.Exchange(ref shutdownStarted, 1) == 0 ? ShutdownAsync(cancel) : Task.CompletedTask;

    /// <summary>Shuts the exporter down within the export deadline. Never throws.</summary>
    async Task ShutdownAsync(CancellationToken cancel)
    {
        try
        {
            using var limit = new CancellationTokenSource(options.ExportTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancel);
            await exporter.ShutdownAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) { SelfLog.Write($"exporter '{Name}' failed to shut down: {ex.Message}"); }
    }

    static void Cancel(CancellationTokenSource source)
    {
        try { source.Cancel(); } catch (ObjectDisposedException) { }
    }
}
