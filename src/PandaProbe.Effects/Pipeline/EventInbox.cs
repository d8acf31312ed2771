using System.Collections.Concurrent;

namespace PandaProbe.Pipeline;

/// <summary>
/// The handoff from application threads to the fold: many writers, one reader. <see cref="Post"/> never blocks and
/// takes no lock (a lock-free queue bounded by an interlocked count); when the inbox is full the new event is dropped
/// and counted. Control messages (flush, shutdown) bypass the bound so they are never lost.
/// </summary>
/// <remarks>
/// Waking a parked thread costs the waker a system call, so writers do not wake the reader for every event (that
/// cost would land on the application's thread). A reader that finds the inbox empty first dozes for
/// <see cref="Doze"/>, during which only a backlog of <see cref="WakeThreshold"/> events or a control message wakes
/// it; if the doze ends with nothing to do it sleeps until the next post. Folding is therefore delayed by at most the
/// doze, well inside the export batching interval, and a flush is never delayed.
/// </remarks>
internal sealed class EventInbox
{
    /// <summary>Pending events at which a writer wakes a dozing reader.</summary>
    internal const int WakeThreshold = 256;

    /// <summary>How long an idle reader waits for a backlog before sleeping until the next post.</summary>
    internal static readonly TimeSpan Doze = TimeSpan.FromMilliseconds(5);

    const int Running = 0, Dozing = 1, Sleeping = 2;

    /// <summary>How many reads the reader folds into one decrement of the shared count.</summary>
    const int ReleaseEvery = 64;

    readonly ConcurrentQueue<object> queue = new();
    readonly SemaphoreSlim signal = new(0);
    readonly int capacity;
    readonly PipelineCounters counters;
    volatile bool closed, completed;
    // Written by every writer; alone on its cache line so the fields above stay read-mostly.
    PaddedCounter count;
    // Written by the reader when it parks or wakes, read by every writer.
    PaddedState readerState;
    int unreleased;   // reader only: events read but not yet subtracted from count

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 132)]
    struct PaddedState
    {
        [System.Runtime.InteropServices.FieldOffset(64)] public int Value;
    }

    public EventInbox(int capacity, PipelineCounters counters) { this.capacity = capacity; this.counters = counters; }

    /// <summary>Events waiting to be folded.</summary>
    public long Count => Math.Max(0, Interlocked.Read(ref count.Value) - Volatile.Read(ref unreleased));

    /// <summary>True once <see cref="Close"/> was called: new events are dropped (counted as after-shutdown).</summary>
    public bool IsClosed => closed;

    /// <summary>
    /// Offers an event; returns false (and counts the drop) when the inbox is full or closed. A new trace
    /// (<see cref="TraceEvent.TraceStarted"/>) is refused once <c>capacity</c> events wait; events of traces already
    /// admitted may use a second <c>capacity</c> of headroom, so under overload whole traces are refused at their start
    /// instead of losing the span or trace ends that would leave the fold holding them open. The bound is twice the
    /// capacity either way.
    /// </summary>
    public bool Post(TraceEvent e)
    {
        if (closed || completed) { counters.Dropped(DropReason.AfterShutdown); return false; }
        var limit = e is TraceEvent.TraceStarted ? capacity : 2L * capacity;
        var pending = Interlocked.Increment(ref count.Value);
        if (pending > limit)
        {
            Interlocked.Decrement(ref count.Value);
            counters.Dropped(DropReason.InboxFull);
            return false;
        }
        queue.Enqueue(e);
        counters.EventPosted();
        var state = Volatile.Read(ref readerState.Value);
        if (state == Sleeping || (state == Dozing && pending >= WakeThreshold)) Wake(state);
        return true;
    }

    /// <summary>Queues a control message behind every event posted so far and wakes the reader.</summary>
    public bool PostControl(object control)
    {
        if (completed) return false;
        queue.Enqueue(control);
        WakeNow();
        return true;
    }

    /// <summary>Stops accepting events; control messages still pass until <see cref="Complete"/>.</summary>
    public void Close() => closed = true;

    /// <summary>Ends the stream: the reader finishes after the last queued item.</summary>
    public void Complete()
    {
        completed = true;
        WakeNow();
    }

    void WakeNow()
    {
        while (true)
        {
            var state = Volatile.Read(ref readerState.Value);
            if (state == Running || Wake(state)) return;
        }
    }

    /// <summary>Moves a parked reader to running and releases it; false when another thread changed the state first.</summary>
    bool Wake(int seen)
    {
        if (Interlocked.CompareExchange(ref readerState.Value, Running, seen) != seen) return false;
        signal.Release();
        return true;
    }

    /// <summary>Reads the next item (event or control), or returns false when the stream has ended.</summary>
    public async ValueTask<(bool Ok, object? Item)> ReadAsync()
    {
        while (true)
        {
            if (TryRead(out var item)) return (true, item);
            if (completed && queue.IsEmpty) return (false, null);

            // Doze: writers wake us only for a backlog or a control message. The interlocked write is a full fence, so
            // a writer that enqueued before it sees the new state, or we see its item below.
            Interlocked.Exchange(ref readerState.Value, Dozing);
            if (!queue.IsEmpty || completed)
            {
                await UnparkAsync(Dozing).ConfigureAwait(false);
                continue;
            }
            if (await signal.WaitAsync(Doze).ConfigureAwait(false)) continue;   // woken: the waker set Running
            if (!queue.IsEmpty || completed)
            {
                await UnparkAsync(Dozing).ConfigureAwait(false);
                continue;
            }

            // Nothing arrived during the doze: sleep until the next post.
            if (Interlocked.CompareExchange(ref readerState.Value, Sleeping, Dozing) != Dozing)
            {
                await signal.WaitAsync().ConfigureAwait(false);   // a writer claimed the wake: take its release
                continue;
            }
            if (!queue.IsEmpty || completed)
            {
                await UnparkAsync(Sleeping).ConfigureAwait(false);
                continue;
            }
            await signal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Returns to running from <paramref name="parked"/>; if a writer already claimed the wake, takes its release.</summary>
    async ValueTask UnparkAsync(int parked)
    {
        if (Interlocked.CompareExchange(ref readerState.Value, Running, parked) != parked)
            await signal.WaitAsync().ConfigureAwait(false);
    }

    void Release()
    {
        Interlocked.Add(ref count.Value, -unreleased);
        Volatile.Write(ref unreleased, 0);
    }

    /// <summary>Reads without waiting.</summary>
    public bool TryRead(out object? item)
    {
        if (queue.TryDequeue(out var i))
        {
            // Writers and the reader share the count; releasing it in steps keeps the reader off the writers' cache
            // line. The bound may therefore admit up to ReleaseEvery events more than the capacity.
            if (i is TraceEvent && ++unreleased >= ReleaseEvery) Release();
            item = i;
            return true;
        }
        if (unreleased > 0) Release();
        item = null;
        return false;
    }
}
