using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using PandaProbe.Model.Batching;

namespace PandaProbe.Pipeline;

/// <summary>What the batch operator emits: a batch of reducer outputs, or a flush's marker (after everything before it).</summary>
/// <param name="Items">The batch (empty for a marker).</param>
/// <param name="Flush">Completed once every item emitted before the marker has been delivered or dropped.</param>
internal readonly record struct Drained(Output[] Items, TaskCompletionSource? Flush);

/// <summary>
/// The batch operator: reducer outputs in (from any thread), batches out on the injected <see cref="IScheduler"/>.
/// It holds a bounded FIFO (the oldest item dropped, and handed to <c>dropped</c>, when full) and wakes per batch (at
/// most once per <see cref="BatchPolicy.BurstGap"/>), per interval, or for a flush or the end, never per item, and not
/// at all while nothing waits (<see cref="BatchPolicy"/>). A wake emits every batch the policy allows, then a marker
/// for each flush that asked; <see cref="OnCompleted"/> emits what is left and completes the output.
/// </summary>
/// <remarks>
/// <para>
/// Unlike an Rx operator over a source, its input side may be called from many threads at once (the threads that
/// complete traces): each call takes a short lock and, at most once per batch, schedules a wake-up (or, for the first
/// item that finds no timer armed, the interval timer). Scheduling happens under that lock, so the scheduler must not
/// run actions inline (not <c>Scheduler.Immediate</c>; the client refuses it).
/// </para>
/// <para>The output side is single-subscriber (the export composition publishes it) and emits on the scheduler.</para>
/// </remarks>
internal sealed class BatchOperator : IObserver<Output>, IObservable<Drained>
{
    readonly object gate = new();
    readonly Output[] ring;
    readonly int batchSize;
    readonly TimeSpan interval;
    readonly IScheduler scheduler;
    readonly Action<Output> dropped;
    readonly List<PendingFlush> flushes = [];
    IObserver<Drained> downstream = NoObserver.Instance;
    int head, count;
    int emitting;        // items taken for the batch being emitted: still pending until downstream has them
    long completedTraces, foldedEvents;   // counted here, under the lock each item takes anyway
    bool awake;          // a wake-up is scheduled or running
    bool intervalDue;    // the timer fired: what waits goes out, whole batches or not
    bool completing, aborted, completedDownstream;
    IDisposable? timer;
    IDisposable? deferred;   // a wake-up for a full batch put off to the end of the burst gap
    DateTimeOffset lastWake = DateTimeOffset.MinValue;

    /// <param name="capacity">Items held before the oldest is dropped.</param>
    /// <param name="batchSize">Most items per batch.</param>
    /// <param name="interval">Longest wait of an item before its batch leaves.</param>
    /// <param name="scheduler">Where wake-ups and the timer run.</param>
    /// <param name="dropped">Told of each item dropped to make room (called under the lock: keep it short, no I/O).</param>
    public BatchOperator(int capacity, int batchSize, TimeSpan interval, IScheduler scheduler, Action<Output> dropped)
    {
        ring = new Output[Math.Max(1, capacity)];
        this.batchSize = Math.Max(1, batchSize);
        this.interval = interval;
        this.scheduler = scheduler;
        this.dropped = dropped;
    }

    /// <summary>Items waiting, or being emitted (not yet handed downstream).</summary>
    public int Waiting { get { lock (gate) return count + emitting; } }

    /// <summary>Traces completed so far and events folded by finished traces (and scores), and items waiting.</summary>
    public (long CompletedTraces, long FoldedEvents, int Waiting) Counts
    {
        get { lock (gate) return (completedTraces, foldedEvents, count + emitting); }
    }

    /// <summary>Subscribes the one downstream observer.</summary>
    public IDisposable Subscribe(IObserver<Drained> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (gate)
        {
            if (!ReferenceEquals(downstream, NoObserver.Instance)) throw new InvalidOperationException("The batch operator takes one subscriber.");
            downstream = observer;
        }
        return Disposable.Create(this, static self => { lock (self.gate) self.downstream = NoObserver.Instance; });
    }

    /// <inheritdoc cref="Add" />
    public void OnNext(Output value) => Add(value);

    /// <summary>
    /// Adds an item; false when the input has completed (shutdown) and the item was not taken. A completed trace is
    /// counted, and <paramref name="folded"/> (the events of a trace that has just finished) added to the folded
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
                foreach (var f in flushes) f.Ahead = Math.Max(0, f.Ahead - 1);   // the oldest was ahead of every flush
                dropped(ring[head]);
                ring[head] = null!;
                head = Next(head);
                count--;
            }
            ring[(head + count) % ring.Length] = item;
            count++;
            if (BatchPolicy.WakeOnAdd(count, batchSize, awake)) WakeForBatchLocked();
            else if (deferred is not null && BatchPolicy.Pressing(count, ring.Length)) BringForwardLocked();
            else MoveTimerLocked();
        }
        return true;
    }

    /// <summary>
    /// The flush signal: everything waiting leaves now, followed by a marker that completes <paramref name="done"/>
    /// once it has been through the exporters. With nothing waiting, the marker leaves at once (on the scheduler).
    /// </summary>
    public void Flush(TaskCompletionSource done)
    {
        lock (gate)
        {
            if (aborted || completedDownstream)
            {
                done.TrySetResult();
                return;
            }
            flushes.Add(new PendingFlush(done, count));
            if (!awake) WakeLocked();
        }
    }

    /// <summary>The end of input: takes no more items, emits what waits, then completes the output.</summary>
    public void OnCompleted()
    {
        lock (gate)
        {
            if (completing) return;
            completing = true;
            if (!awake) WakeLocked();
        }
    }

    /// <summary>Not used: the input never fails. Treated as the end of input.</summary>
    public void OnError(Exception error) => OnCompleted();

    /// <summary>Ends the operator at the shutdown deadline and returns the items still waiting (to be spooled or counted).</summary>
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
            foreach (var f in flushes) f.Done.TrySetResult();
            flushes.Clear();
            return left;
        }
    }

    int Next(int i) => i + 1 == ring.Length ? 0 : i + 1;

    void WakeLocked()
    {
        awake = true;
        Schedule(TimeSpan.Zero, static self => self.Drain());
    }

    /// <summary>Wakes for a full batch: at once, or at the end of the burst gap (<see cref="BatchPolicy.WakeDelay"/>).</summary>
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
        awake = true;
        deferred = Schedule(delay, static self => self.OnDeferredWake());
    }

    /// <summary>The ring filled up while a wake-up was put off: cancel it and wake now.</summary>
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
            if (deferred is null) return;   // brought forward meanwhile: that wake-up runs instead
            deferred = null;
        }
        Drain();
    }

    void MoveTimerLocked()
    {
        switch (BatchPolicy.Timer(count, timer is not null, awake, completing || aborted))
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
            if (awake) return;
            awake = true;
        }
        Drain();
    }

    /// <summary>
    /// One wake-up: emits every batch the policy allows, each flush's marker as soon as the items that waited when it
    /// was asked for have been emitted (not when the queue next runs empty, which a steady load may never allow), and
    /// only then goes back to sleep, so that two wake-ups never emit at once whatever the scheduler; at the end of input
    /// it completes the output.
    /// </summary>
    void Drain()
    {
        while (true)
        {
            Output[]? batch = null;
            List<TaskCompletionSource>? markers = null;
            var complete = false;
            IObserver<Drained> to;
            lock (gate)
            {
                to = downstream;
                for (var i = 0; i < flushes.Count; i++)
                {
                    if (flushes[i].Ahead > 0 && count > 0 && !aborted) continue;
                    (markers ??= []).Add(flushes[i].Done);
                    flushes.RemoveAt(i--);
                }
                if (markers is null)
                {
                    var draining = flushes.Count > 0 || completing;
                    var take = aborted ? 0 : BatchPolicy.Take(count, batchSize, intervalDue, draining);
                    if (take > 0)
                    {
                        batch = new Output[take];
                        for (var i = 0; i < take; i++)
                        {
                            batch[i] = ring[head];
                            ring[head] = null!;
                            head = Next(head);
                        }
                        count -= take;
                        emitting = take;
                        foreach (var f in flushes) f.Ahead = Math.Max(0, f.Ahead - take);
                    }
                    else
                    {
                        awake = false;
                        if (count == 0) intervalDue = false;
                        MoveTimerLocked();
                        if (completing && count == 0 && !aborted && !completedDownstream) complete = completedDownstream = true;
                    }
                }
            }
            if (batch is not null)
            {
                Emit(to, new Drained(batch, null));
                lock (gate) emitting = 0;   // downstream counts them now (as pending in the lanes, or settled)
                continue;
            }
            if (markers is not null)
            {
                foreach (var m in markers) Emit(to, new Drained([], m));
                continue;
            }
            if (complete)
            {
                try { to.OnCompleted(); }
                catch (Exception ex) { SelfLog.Write($"completing the export side failed: {ex.Message}"); }
            }
            return;
        }
    }

    /// <summary>A flush waiting for its marker: <see cref="Ahead"/> items that waited when it was asked for are still queued.</summary>
    sealed class PendingFlush(TaskCompletionSource done, int ahead)
    {
        public TaskCompletionSource Done { get; } = done;
        public int Ahead { get; set; } = ahead;
    }

    static void Emit(IObserver<Drained> to, Drained drained)
    {
        try { to.OnNext(drained); }
        catch (Exception ex)
        {
            SelfLog.Write($"the export side failed on a batch: {ex.Message}");
            drained.Flush?.TrySetResult();
        }
    }

    IDisposable Schedule(TimeSpan due, Action<BatchOperator> action)
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

    sealed class NoObserver : IObserver<Drained>
    {
        public static readonly NoObserver Instance = new();
        public void OnNext(Drained value) => value.Flush?.TrySetResult();
        public void OnError(Exception error) { }
        public void OnCompleted() { }
    }
}
