using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using PandaProbe.Model.Batching;

namespace PandaProbe.Pipeline;

/// <summary>
/// The hand-off from the threads that complete traces to the export side: a bounded FIFO of reducer outputs (the
/// oldest dropped and counted when full) that wakes the export side on the injected <see cref="IScheduler"/> per
/// batch (at most once per <see cref="BatchPolicy.BurstGap"/>), per interval, or for a flush or shutdown, never per
/// item, and not at all while nothing waits (<see cref="BatchPolicy"/>). One drain runs at a time; it hands each
/// batch to <c>process</c> and awaits it before taking the next, so batches leave in order and the queue is the only
/// buffer.
/// </summary>
/// <remarks>
/// Adding an item takes a short lock and, at most once per batch, schedules the drain (or, for the first item that
/// finds no timer armed, the interval timer). Scheduling happens under that lock, so the scheduler must not run
/// actions inline (not <c>Scheduler.Immediate</c>; the client refuses it).
/// </remarks>
internal sealed class ExportQueue
{
    readonly object gate = new();
    readonly Output[] ring;
    readonly int batchSize;
    readonly TimeSpan interval;
    readonly IScheduler scheduler;
    readonly Func<Output[], ValueTask> process;
    readonly Action<Output> dropped;
    readonly List<(long Target, TaskCompletionSource Done)> waiters = [];
    readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int head, count;
    long added;          // items ever added; an item's sequence number is its position, from 1
    long completedTraces, foldedEvents;   // counted here, under the lock each item takes anyway
    long inflightFirst;  // sequence number of the first item being exported, 0 when none
    int inflightCount;
    bool exporting;      // a drain is scheduled or running
    bool intervalDue;    // the timer fired: what waits goes out, whole batches or not
    bool completing, aborted;
    IDisposable? timer;
    IDisposable? deferred;   // a wake-up for a full batch put off to the end of the burst gap
    DateTimeOffset lastWake = DateTimeOffset.MinValue;

    /// <param name="capacity">Items held before the oldest is dropped.</param>
    /// <param name="batchSize">Most items per batch.</param>
    /// <param name="interval">Longest wait of an item before its batch leaves.</param>
    /// <param name="scheduler">Where the drain and the timer run.</param>
    /// <param name="process">Exports one batch (never throws).</param>
    /// <param name="dropped">Told of each item dropped to make room (called under the queue's lock: keep it short).</param>
    public ExportQueue(int capacity, int batchSize, TimeSpan interval, IScheduler scheduler, Func<Output[], ValueTask> process,
        Action<Output> dropped)
    {
        ring = new Output[Math.Max(1, capacity)];
        this.batchSize = Math.Max(1, batchSize);
        this.interval = interval;
        this.scheduler = scheduler;
        this.process = process;
        this.dropped = dropped;
    }

    /// <summary>Items waiting or being exported.</summary>
    public int Pending { get { lock (gate) return count + inflightCount; } }

    /// <summary>Traces completed so far, events folded by finished traces (and scores), and items pending.</summary>
    public (long CompletedTraces, long FoldedEvents, long Pending) Counts
    {
        get { lock (gate) return (completedTraces, foldedEvents, count + inflightCount); }
    }

    /// <summary>Completes when a shutdown has drained the queue (or dropped what was left).</summary>
    public Task Finished => finished.Task;

    /// <summary>
    /// Adds an item; false when the queue has been completed (shutdown), and the item was not taken. A completed trace
    /// is counted, and <paramref name="folded"/> (the events of a trace that has just finished) is added to the folded
    /// events, taken or not.
    /// </summary>
    public bool Add(Output item, long folded = 0)
    {
        lock (gate)
        {
            if (item is Output.TraceCompleted) completedTraces++;
            foldedEvents += folded;
            if (completing || aborted) return false;
            if (count == ring.Length)
            {
                dropped(ring[head]);
                ring[head] = null!;
                head = Next(head);
                count--;
            }
            ring[(head + count) % ring.Length] = item;
            count++;
            added++;
            if (BatchPolicy.WakeOnAdd(count, batchSize, exporting)) WakeForBatchLocked();
            else if (deferred is not null && BatchPolicy.Pressing(count, ring.Length)) BringForwardLocked();
            else MoveTimerLocked();
        }
        return true;
    }

    /// <summary>Completes <paramref name="done"/> once every item added before the call has been exported or dropped.</summary>
    public void Flush(TaskCompletionSource done)
    {
        lock (gate)
        {
            waiters.Add((added, done));
            CompleteWaitersLocked();
            if (waiters.Count > 0 && !exporting) WakeLocked();
        }
    }

    /// <summary>Takes no more items, exports what waits, then completes <see cref="Finished"/>.</summary>
    public void Complete()
    {
        lock (gate)
        {
            if (completing) return;
            completing = true;
            if (!exporting) WakeLocked();
        }
    }

    /// <summary>Ends the queue at the shutdown deadline and returns the items still waiting (to be spooled or counted).</summary>
    public Output[] Abort()
    {
        lock (gate)
        {
            aborted = true;
            var left = new Output[count];
            for (var i = 0; i < count; i++) left[i] = ring[(head + i) % ring.Length];
            System.Array.Clear(ring);
            head = count = 0;
            CancelTimerLocked();
            CompleteWaitersLocked();
            if (!exporting) finished.TrySetResult();
            return left;
        }
    }

    int Next(int i) => i + 1 == ring.Length ? 0 : i + 1;

    void WakeLocked()
    {
        exporting = true;
        Schedule(static self => { _ = self.DrainAsync(); });
    }

    /// <summary>Wakes the export side for a full batch: at once, or at the end of the burst gap (<see cref="BatchPolicy.WakeDelay"/>).</summary>
    void WakeForBatchLocked()
    {
        var now = scheduler.Now;
        var delay = BatchPolicy.WakeDelay(lastWake == DateTimeOffset.MinValue ? TimeSpan.MaxValue : now - lastWake, count, ring.Length);
        lastWake = now + delay;
        if (delay == TimeSpan.Zero)
        {
            WakeLocked();
            return;
        }
        exporting = true;
        deferred = Schedule(delay, static self => self.OnDeferredWake());
    }

    /// <summary>The queue filled up while a wake-up was put off: cancel it and wake the export side now.</summary>
    void BringForwardLocked()
    {
        deferred!.Dispose();
        deferred = null;
        lastWake = scheduler.Now;
        WakeLocked();
    }

    void OnDeferredWake()
    {
        lock (gate)
        {
            if (deferred is null) return;   // brought forward meanwhile: that drain runs instead
            deferred = null;
        }
        _ = DrainAsync();
    }

    void MoveTimerLocked()
    {
        switch (BatchPolicy.Timer(count, timer is not null, exporting, completing || aborted))
        {
            case TimerMove.Arm:
                timer = Schedule(interval, static self => self.OnInterval());
                break;
            case TimerMove.Cancel:
                CancelTimerLocked();
                break;
        }
    }

    void CancelTimerLocked()
    {
        timer?.Dispose();
        timer = null;
    }

    void OnInterval()
    {
        lock (gate)
        {
            timer = null;
            if (count == 0 || aborted) return;
            intervalDue = true;
            if (exporting) return;
            exporting = true;
        }
        _ = DrainAsync();
    }

    async Task DrainAsync()
    {
        while (true)
        {
            Output[] batch;
            lock (gate)
            {
                var draining = waiters.Count > 0 || completing;
                var take = aborted ? 0 : BatchPolicy.Take(count, batchSize, intervalDue, draining);
                if (take == 0)
                {
                    exporting = false;
                    if (count == 0) intervalDue = false;
                    MoveTimerLocked();
                    CompleteWaitersLocked();
                    if ((completing && count == 0) || aborted) finished.TrySetResult();
                    return;
                }
                batch = new Output[take];
                inflightFirst = added - count + 1;
                inflightCount = take;
                for (var i = 0; i < take; i++)
                {
                    batch[i] = ring[head];
                    ring[head] = null!;
                    head = Next(head);
                }
                count -= take;
            }
            try { await process(batch).ConfigureAwait(false); }
            catch (Exception ex) { SelfLog.Write($"exporting a batch failed: {ex.Message}"); }
            lock (gate)
            {
                inflightFirst = 0;
                inflightCount = 0;
                CompleteWaitersLocked();
            }
        }
    }

    /// <summary>Completes the flushes whose items have all left: none is still queued or being exported.</summary>
    void CompleteWaitersLocked()
    {
        if (waiters.Count == 0) return;
        var firstQueued = added - count + 1;
        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            var (target, done) = waiters[i];
            if (aborted || firstQueued > target && (inflightFirst == 0 || inflightFirst > target))
            {
                waiters.RemoveAt(i);
                done.TrySetResult();
            }
        }
    }

    IDisposable Schedule(Action<ExportQueue> action)
    {
        using var quiet = Quiet();
        return scheduler.Schedule((self: this, action), static (_, s) =>
        {
            s.action(s.self);
            return Disposable.Empty;
        });
    }

    IDisposable Schedule(TimeSpan due, Action<ExportQueue> action)
    {
        using var quiet = Quiet();
        return scheduler.Schedule((self: this, action), due, static (_, s) =>
        {
            s.action(s.self);
            return Disposable.Empty;
        });
    }

    /// <summary>
    /// Keeps the caller's execution context (its ambient trace, its async-locals) out of the export side, so exporters
    /// never run inside the application's spans.
    /// </summary>
    static AsyncFlowControl? Quiet() => ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
}
