using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace PandaProbe.Pipeline;

/// <summary>
/// The default <see cref="IScheduler"/> of a pipeline's export side: one background thread of its own that sleeps in a
/// plain monitor wait until an action is scheduled or the earliest timer is due, then runs what is due, one action at
/// a time, in order. It starts with the first action, never runs one on the caller's thread, and does not spin.
/// </summary>
/// <remarks>
/// Waking a parked thread-pool worker costs far more than the wake itself: the worker spins for work afterwards
/// (hundreds of microseconds of CPU per wake on a small virtual machine, measured), which a pipeline that wakes once
/// per batch would pay once per batch. Timers are kept here too (the thread waits until the earliest is due), so an
/// armed interval costs no timer thread and no pool callback. The thread does not carry the caller's execution
/// context, and an action that throws is reported to <see cref="SelfLog"/> and does not stop the thread.
/// </remarks>
internal sealed class ExportScheduler : IScheduler, IDisposable
{
    readonly object gate = new();
    readonly Queue<WorkItem> ready = new();
    readonly List<WorkItem> timers = [];
    readonly string name;
    readonly Stopwatch clock = Stopwatch.StartNew();
    Thread? thread;
    bool waiting, disposed;
    TimeSpan wakeAt = TimeSpan.MaxValue;   // when the sleeping thread will look again by itself

    /// <param name="name">The thread's name (seen in debuggers and profilers).</param>
    public ExportScheduler(string name = "PandaProbe export") => this.name = name;

    /// <inheritdoc />
    public DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
        Enqueue(new Item<TState>(this, state, action, TimeSpan.Zero), timed: false);

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
        dueTime <= TimeSpan.Zero
            ? Schedule(state, action)
            : Enqueue(new Item<TState>(this, state, action, clock.Elapsed + dueTime), timed: true);

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    /// <summary>Stops the thread once the action it is running (if any) returns; what was still scheduled is dropped.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            ready.Clear();
            timers.Clear();
            Monitor.Pulse(gate);
        }
    }

    IDisposable Enqueue(WorkItem item, bool timed)
    {
        lock (gate)
        {
            if (disposed) return Disposable.Empty;
            if (timed)
            {
                var at = timers.FindIndex(t => t.Due > item.Due);
                timers.Insert(at < 0 ? timers.Count : at, item);
            }
            else ready.Enqueue(item);
            if (thread is null) Start();
            // Wake the thread only when it sleeps and would otherwise look too late.
            else if (waiting && (!timed || item.Due < wakeAt)) Monitor.Pulse(gate);
        }
        return item;
    }

    void Start()
    {
        thread = new Thread(Run) { IsBackground = true, Name = name };
        thread.UnsafeStart();   // without the caller's execution context
    }

    void Cancel(WorkItem item)
    {
        lock (gate)
        {
            item.Cancelled = true;
            timers.Remove(item);
        }
    }

    void Run()
    {
        while (true)
        {
            WorkItem? next = null;
            lock (gate)
            {
                while (next is null)
                {
                    if (disposed) return;
                    var now = clock.Elapsed;
                    if (ready.Count > 0) next = ready.Dequeue();
                    else if (timers.Count > 0 && timers[0].Due <= now)
                    {
                        next = timers[0];
                        timers.RemoveAt(0);
                    }
                    else
                    {
                        wakeAt = timers.Count > 0 ? timers[0].Due : TimeSpan.MaxValue;
                        waiting = true;
                        if (timers.Count > 0) Monitor.Wait(gate, Until(timers[0].Due - now));
                        else Monitor.Wait(gate);
                        waiting = false;
                    }
                    if (next is { Cancelled: true }) next = null;
                }
            }
            try { next.Invoke(); }
            catch (Exception ex) { SelfLog.Write($"a scheduled export action failed: {ex.GetType().Name}: {ex.Message}"); }
        }
    }

    /// <summary>A wait no shorter than a millisecond (the monitor's resolution) and no longer than it can wait.</summary>
    static TimeSpan Until(TimeSpan span) =>
        span < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1)
        : span > TimeSpan.FromMilliseconds(int.MaxValue - 1) ? TimeSpan.FromMilliseconds(int.MaxValue - 1)
        : span;

    abstract class WorkItem(ExportScheduler owner, TimeSpan due) : IDisposable
    {
        protected ExportScheduler Owner { get; } = owner;
        public TimeSpan Due { get; } = due;
        public bool Cancelled;
        public abstract void Invoke();
        public void Dispose() => Owner.Cancel(this);
    }

    sealed class Item<TState>(ExportScheduler owner, TState state, Func<IScheduler, TState, IDisposable> action, TimeSpan due)
        : WorkItem(owner, due)
    {
        public override void Invoke() => action(Owner, state);
    }
}
