using PandaProbe.Exporters;
using PandaProbe.Model.Batching;

namespace PandaProbe.Pipeline;

/// <summary>
/// The export side of the pipeline: a bounded FIFO of completed items (oldest dropped and counted when full) and one
/// loop that cuts batches with <see cref="BatchPolicy"/> and hands each batch to every exporter in turn, isolating
/// their failures. Only the fold thread adds items and only the loop removes them, so the lock here is never taken by
/// an application thread.
/// </summary>
internal sealed class ExportStage
{
    readonly object gate = new();
    readonly Queue<(long Seq, object Item)> queue = new();
    readonly List<(long Target, TaskCompletionSource Done)> waiters = [];
    readonly ITraceExporter[] exporters;
    readonly PipelineOptions options;
    readonly TimeProvider time;
    readonly PipelineCounters counters;
    readonly CancellationTokenSource abort = new();
    TaskCompletionSource signal = NewSignal();
    long addedSeq, inflightMin, inflightCount;
    bool completing;
    DateTimeOffset lastExport;
    ITimer? intervalTimer;
    CancellationTokenSource? deadline;
    CancellationTokenRegistration abortLink;
    public Task Loop { get; private set; } = Task.CompletedTask;

    readonly Action<Trace>? inspect;

    /// <param name="exporters">Where batches go, in order; each isolated from the others' failures.</param>
    /// <param name="options">Batch size, interval, queue bound and export deadline.</param>
    /// <param name="time">The clock for the interval and deadlines.</param>
    /// <param name="counters">Where exports, failures and drops are counted.</param>
    /// <param name="inspect">Runs on the export loop (never on the fold or the caller) for each trace before export.</param>
    public ExportStage(ITraceExporter[] exporters, PipelineOptions options, TimeProvider time, PipelineCounters counters,
        Action<Trace>? inspect = null)
    {
        this.inspect = inspect;
        this.exporters = exporters;
        this.options = options;
        this.time = time;
        this.counters = counters;
        lastExport = time.GetUtcNow();
    }

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Start()
    {
        using (ExecutionContext.SuppressFlow()) Loop = Task.Run(RunAsync);
    }

    /// <summary>Items queued or being exported.</summary>
    public long Pending { get { lock (gate) return queue.Count + inflightCount; } }

    /// <summary>Queues a completed trace, late span or score (called by the fold thread).</summary>
    public void Add(object item)
    {
        bool wake;
        lock (gate)
        {
            if (queue.Count >= options.MaxQueueSize)
            {
                queue.Dequeue();
                counters.Dropped(DropReason.ExportQueueFull);
                counters.PendingChanged(-1);
                SelfLog.Write("export queue full: the oldest item was dropped");
            }
            queue.Enqueue((++addedSeq, item));
            counters.PendingChanged(1);
            // A full batch wakes the loop (which then exports every full batch before it sleeps again); a lone item
            // needs no wake, since the interval timer is armed whenever the loop sleeps. Each wake is a thread hop.
            wake = queue.Count == options.BatchSize;
        }
        if (wake) Wake();
    }

    /// <summary>Completes <paramref name="done"/> once every item added so far has been exported (or dropped).</summary>
    public void RequestFlush(TaskCompletionSource done)
    {
        lock (gate)
        {
            waiters.Add((addedSeq, done));
            CompleteWaiters();
        }
        Wake();
    }

    /// <summary>Drains the queue, shuts the exporters down and ends the loop.</summary>
    public Task CompleteAsync()
    {
        lock (gate) completing = true;
        Wake();
        return Loop;
    }

    /// <summary>Cancels exports in progress and drops what is left (shutdown deadline).</summary>
    public void Abort()
    {
        try { abort.Cancel(); } catch (ObjectDisposedException) { }
        Wake();
    }

    void Wake() => Volatile.Read(ref signal).TrySetResult();

    void CompleteWaiters()
    {
        var head = queue.Count > 0 ? queue.Peek().Seq : long.MaxValue;
        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            var (target, done) = waiters[i];
            if (head > target && (inflightMin == 0 || inflightMin > target))
            {
                waiters.RemoveAt(i);
                done.TrySetResult();
            }
        }
    }

    async Task RunAsync()
    {
        while (true)
        {
            if (Volatile.Read(ref signal).Task.IsCompleted) Volatile.Write(ref signal, NewSignal());
            var wait = Volatile.Read(ref signal).Task;
            List<object>? batch = null;
            TimeSpan? sleep = null;
            var finished = false;
            lock (gate)
            {
                if (abort.IsCancellationRequested)
                {
                    DropRemaining();
                    finished = completing;
                }
                else
                {
                    var draining = waiters.Count > 0 || completing;
                    var d = BatchPolicy.Decide(queue.Count, options.BatchSize, time.GetUtcNow() - lastExport, options.FlushInterval, draining);
                    if (d.Take > 0)
                    {
                        batch = new List<object>(d.Take);
                        inflightMin = queue.Peek().Seq;
                        for (var i = 0; i < d.Take; i++) batch.Add(queue.Dequeue().Item);
                        inflightCount = batch.Count;
                    }
                    else
                    {
                        sleep = d.Wait;
                        finished = completing && queue.Count == 0;
                    }
                }
                CompleteWaiters();
            }
            if (batch is not null)
            {
                await ExportAsync(batch).ConfigureAwait(false);
                lock (gate)
                {
                    counters.PendingChanged(-batch.Count);
                    inflightMin = 0;
                    inflightCount = 0;
                    lastExport = time.GetUtcNow();
                    CompleteWaiters();
                }
                continue;
            }
            if (finished) break;
            // One long-lived timer wakes the loop when the interval runs out (no Task.Delay, token or WhenAny per
            // sleep). It is armed even when nothing waits, so an item added later never needs a wake of its own: it
            // is exported by the next full backlog, flush or tick, at most one interval after it was added.
            intervalTimer ??= time.CreateTimer(static self => ((ExportStage)self!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            intervalTimer.Change(sleep ?? options.FlushInterval, Timeout.InfiniteTimeSpan);
            await wait.ConfigureAwait(false);
        }
        intervalTimer?.Dispose();
        deadline?.Dispose();
        await ShutdownExportersAsync().ConfigureAwait(false);
        lock (gate)
        {
            foreach (var (_, done) in waiters) done.TrySetResult();
            waiters.Clear();
        }
    }

    void DropRemaining()
    {
        if (queue.Count == 0) return;
        counters.Dropped(DropReason.ShutdownDeadline, queue.Count);
        counters.PendingChanged(-queue.Count);
        queue.Clear();
    }

    async Task ExportAsync(List<object> items)
    {
        var traces = new List<Trace>();
        var late = new List<Span>();
        var scores = new List<Score>();
        foreach (var item in items)
        {
            switch (item)
            {
                case Trace t:
                    traces.Add(t);
                    if (inspect is not null)
                    {
                        try { inspect(t); }
                        catch (Exception ex) { SelfLog.Write($"inspecting trace {t.Id} failed: {ex.Message}"); }
                    }
                    break;
                case Span s: late.Add(s); break;
                case Score s: scores.Add(s); break;
            }
        }
        var batch = new ExportBatch(traces, late, scores);
        var worstFailed = 0;
        string? error = null;
        foreach (var exporter in exporters)
        {
            ExportResult result;
            var call = RentDeadline();
            try
            {
                result = await exporter.ExportAsync(batch, call.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                result = ExportResult.Failure(batch.Count, $"{ex.GetType().Name}: {ex.Message}");
            }
            ReturnDeadline(call);
            if (!result.IsSuccess)
            {
                SelfLog.Write($"exporter '{SafeName(exporter)}' failed {result.Failed} of {batch.Count} items: {result.Error}");
                if (result.Failed > worstFailed) { worstFailed = Math.Min(result.Failed, batch.Count); error = result.Error; }
            }
        }
        counters.Exported(batch.Count - worstFailed);
        if (worstFailed > 0) counters.Failed(worstFailed);
        _ = error;
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

    async Task ShutdownExportersAsync()
    {
        foreach (var exporter in exporters)
        {
            try
            {
                using var deadline = new CancellationTokenSource(options.ExportTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, abort.Token);
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
