namespace PandaProbe.Unit.Support;

/// <summary>A clock that only moves when told to; timers fire on <see cref="Advance"/>. No real waiting.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    readonly object gate = new();
    readonly List<ManualTimer> timers = [];
    DateTimeOffset now = start;

    public ManualTimeProvider() : this(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() { lock (gate) return now; }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (gate)
        {
            now += by;
            due = timers.Where(t => t.Due <= now).ToList();
        }
        foreach (var t in due) t.Fire();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        TimeSpan period = Timeout.InfiniteTimeSpan;
        public DateTimeOffset Due = DateTimeOffset.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner.gate)
            {
                this.period = period;
                owner.timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) { Due = DateTimeOffset.MaxValue; return true; }
                Due = owner.now + dueTime;
                owner.timers.Add(this);
            }
            if (dueTime == TimeSpan.Zero) Fire();
            return true;
        }

        public void Fire()
        {
            lock (owner.gate)
            {
                owner.timers.Remove(this);
                if (period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero)
                {
                    Due = owner.now + period;
                    owner.timers.Add(this);
                }
            }
            callback(state);
        }

        public void Dispose() { lock (owner.gate) owner.timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return default; }
    }
}
