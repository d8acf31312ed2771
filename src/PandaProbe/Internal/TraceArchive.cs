using System.Collections.Concurrent;

namespace PandaProbe.Internal;

/// <summary>
/// The completed traces of one client, kept (up to a bound, oldest overwritten first) so that a
/// <see cref="TraceContext"/> can describe itself and its sub-agent traces after it ended.
/// </summary>
/// <remarks>
/// The pipeline's fold thread is the only writer (<see cref="Add"/>, called inline for each completed trace): it stores
/// the trace in a ring of <c>capacity</c> slots, which costs one array write and no allocation, no lock and no thread
/// hop. Readers (rare: a summary or a printed tree) scan the ring; a slot overwritten during a scan only means an older
/// trace was forgotten. Waiting readers are counted so the writer checks for them with one volatile read.
/// </remarks>
internal sealed class TraceArchive
{
    readonly Trace?[] ring;
    readonly ConcurrentDictionary<TraceId, TaskCompletionSource<Trace>> waiters = new();
    int waiting;
    volatile int next;

    public TraceArchive(int capacity) => ring = new Trace?[Math.Max(0, capacity)];

    /// <summary>Stores a completed trace and releases whoever waits for it. Single writer: the fold thread.</summary>
    public void Add(Trace trace)
    {
        if (trace is null) return;
        if (ring.Length > 0)
        {
            var slot = next;
            // A full fence (not a release store) so the read of the waiter count below cannot move before this write:
            // a reader registers, then looks in the ring; one of the two sides is then sure to see the other.
            Interlocked.Exchange(ref ring[slot], trace);
            next = slot + 1 == ring.Length ? 0 : slot + 1;
        }
        if (Volatile.Read(ref waiting) > 0 && waiters.TryRemove(trace.Id, out var w))
        {
            Interlocked.Decrement(ref waiting);
            w.TrySetResult(trace);
        }
    }

    /// <summary>The archived trace with this id, if it is still kept.</summary>
    public Trace? Find(TraceId id)
    {
        for (var i = 0; i < ring.Length; i++)
            if (Volatile.Read(ref ring[i]) is { } t && t.Id == id) return t;
        return null;
    }

    /// <summary>The completed trace, waiting for it up to <paramref name="timeout"/> (null when it did not arrive).</summary>
    public async Task<Trace?> WaitAsync(TraceId id, TimeSpan timeout)
    {
        if (Find(id) is { } done) return done;
        if (ring.Length == 0) return null;
        var mine = new TaskCompletionSource<Trace>(TaskCreationOptions.RunContinuationsAsynchronously);
        var w = waiters.GetOrAdd(id, mine);
        if (ReferenceEquals(w, mine)) Interlocked.Increment(ref waiting);
        // The trace may have been added between the first look and the registration: look again.
        if (Find(id) is { } raced)
        {
            Release(id, w);
            return raced;
        }
        try { return await w.Task.WaitAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            Release(id, w);
            return null;
        }
    }

    void Release(TraceId id, TaskCompletionSource<Trace> w)
    {
        if (waiters.TryRemove(new KeyValuePair<TraceId, TaskCompletionSource<Trace>>(id, w))) Interlocked.Decrement(ref waiting);
    }

    /// <summary>Every archived trace below <paramref name="root"/> (sub-agent runs at any depth).</summary>
    public IReadOnlyList<Trace> Descendants(TraceId root)
    {
        var kept = new List<Trace>(ring.Length);
        var start = next;   // oldest first, so children come in completion order
        for (var k = 0; k < ring.Length; k++)
            if (Volatile.Read(ref ring[(start + k) % ring.Length]) is { } t) kept.Add(t);
        var byParent = kept
            .Where(t => t.ParentTrace.IsSome)
            .GroupBy(t => t.ParentTrace.ToNullableValue()!.Value)
            .ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<Trace>();
        var seen = new HashSet<TraceId> { root };
        var pending = new Queue<TraceId>([root]);
        while (pending.TryDequeue(out var id))
        {
            if (!byParent.TryGetValue(id, out var kids)) continue;
            foreach (var kid in kids)
                if (seen.Add(kid.Id)) { result.Add(kid); pending.Enqueue(kid.Id); }
        }
        return result;
    }
}
