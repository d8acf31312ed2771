using System.Reactive.Concurrency;

namespace PandaProbe.Unit.Support;

/// <summary>
/// Virtual time (a <see cref="HistoricalScheduler"/>) that records every action scheduled on it, with the delay it
/// was scheduled for, so a test can tell how often the export side would have woken up.
/// </summary>
public sealed class CountingScheduler : IScheduler
{
    readonly List<TimeSpan> scheduled = [];

    /// <summary>The virtual clock; advance it to run what is due.</summary>
    public HistoricalScheduler Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The delay of every action scheduled so far (zero for "as soon as possible").</summary>
    public IReadOnlyList<TimeSpan> Scheduled { get { lock (scheduled) return scheduled.ToArray(); } }

    /// <inheritdoc />
    public DateTimeOffset Now => Clock.Now;

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, TimeSpan.Zero, action);

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        lock (scheduled) scheduled.Add(dueTime);
        return Clock.Schedule(state, dueTime, (_, s) => action(this, s));
    }

    /// <inheritdoc />
    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    /// <summary>Runs everything due now (the clock moves by one tick: a virtual clock runs nothing without moving).</summary>
    public void RunDue() => Clock.AdvanceBy(TimeSpan.FromTicks(1));

    /// <summary>Moves the clock forward, running what falls due.</summary>
    public void AdvanceBy(TimeSpan by) => Clock.AdvanceBy(by);
}
