using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace PandaProbe.Pipeline;

/// <summary>
/// The traces of one pipeline that have started and not finished, so that one nobody ends is closed after
/// <see cref="After"/> without an event (<see cref="Abandonment"/>), marked and exported, and open traces cannot pile
/// up. A start links its cell and a finish unlinks it (an intrusive list under a short lock: no allocation); a sweep on
/// the export side's scheduler, armed only while traces are open, looks at each cell's event count every quarter of
/// <see cref="After"/> and closes the ones whose count has not moved for the whole time.
/// </summary>
internal sealed class OpenTraces(TimeSpan after, IScheduler scheduler, TimeProvider time, PipelineCounters counters, Func<bool> closed)
{
    readonly object gate = new();
    TraceCell? first;
    int count;
    IDisposable? sweep;

    /// <summary>How long a trace may go without an event before it is closed as abandoned.</summary>
    public TimeSpan After { get; } = after;

    /// <summary>Traces open now.</summary>
    public int Count { get { lock (gate) return count; } }

    /// <summary>Links a started trace (and arms the sweep when it is the first).</summary>
    public void Add(TraceCell cell)
    {
        lock (gate)
        {
            cell.Next = first;
            if (first is not null) first.Previous = cell;
            first = cell;
            cell.Linked = true;
            count++;
            sweep ??= Arm();
        }
    }

    /// <summary>Unlinks a finished trace.</summary>
    public void Remove(TraceCell cell)
    {
        lock (gate)
        {
            if (!cell.Linked) return;
            if (cell.Previous is { } p) p.Next = cell.Next; else first = cell.Next;
            if (cell.Next is { } n) n.Previous = cell.Previous;
            cell.Previous = cell.Next = null;
            cell.Linked = false;
            count--;
        }
    }

    IDisposable Arm()
    {
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond / 10, After.Ticks / 4));
        using var quiet = ExecutionContext.IsFlowSuppressed() ? (AsyncFlowControl?)null : ExecutionContext.SuppressFlow();
        return scheduler.Schedule(this, period, static (_, self) =>
        {
            self.Sweep();
            return Disposable.Empty;
        });
    }

    /// <summary>Closes what has been idle for <see cref="After"/>; re-arms while traces are open. Runs on the export side.</summary>
    internal void Sweep()
    {
        if (closed())
        {
            lock (gate) sweep = null;   // shut down: events would be refused; no more sweeps
            return;
        }
        List<TraceCell> cells;
        lock (gate)
        {
            cells = new List<TraceCell>(count);
            for (var c = first; c is not null; c = c.Next) cells.Add(c);
        }
        var now = time.GetUtcNow();
        foreach (var cell in cells)
        {
            try
            {
                if (cell.State is not { } state) continue;
                var events = state.Events;
                if (!Abandonment.IsIdle(cell.SeenVersion, events, cell.IdleSince, now, After))
                {
                    if (cell.SeenVersion != events)
                    {
                        cell.SeenVersion = events;
                        cell.IdleSince = now;
                    }
                    continue;
                }
                var idle = now - cell.IdleSince;
                foreach (var e in Abandonment.Close(state, now, idle)) cell.Raise(e);
                if (cell.State is { IsOpen: true }) continue;   // refused (e.g. shut down meanwhile): not counted
                counters.Abandoned();
                SelfLog.Write($"trace {cell.Id} had no event for {idle.TotalSeconds:0} s: closed as abandoned and exported");
            }
            catch (Exception ex) { SelfLog.Write($"closing an abandoned trace failed: {ex.Message}"); }
        }
        lock (gate) sweep = count > 0 ? Arm() : null;
    }
}
