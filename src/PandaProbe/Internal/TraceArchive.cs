using System.Collections.Concurrent;

namespace PandaProbe.Internal;

/// <summary>
/// The completed traces of one client, kept (up to a bound, oldest forgotten first) so that a
/// <see cref="TraceContext"/> can describe itself and its sub-agent traces after it ended. Fed from the client's
/// <see cref="PandaProbeClient.CompletedTraces"/> stream on a background thread.
/// </summary>
internal sealed class TraceArchive(int capacity) : IObserver<Trace>
{
    readonly ConcurrentDictionary<TraceId, Trace> traces = new();
    readonly ConcurrentDictionary<TraceId, ConcurrentDictionary<TraceId, byte>> children = new();
    readonly ConcurrentDictionary<TraceId, TaskCompletionSource<Trace>> waiters = new();
    readonly ConcurrentQueue<TraceId> order = new();

    public void OnNext(Trace trace)
    {
        if (trace is null) return;
        if (capacity > 0)
        {
            traces[trace.Id] = trace;
            if (trace.ParentTrace.TryGet(out var parent))
                children.GetOrAdd(parent, _ => new()).TryAdd(trace.Id, 0);
            order.Enqueue(trace.Id);
            while (order.Count > capacity && order.TryDequeue(out var old)) Forget(old);
        }
        if (waiters.TryRemove(trace.Id, out var w)) w.TrySetResult(trace);
    }

    public void OnError(Exception error) => SelfLog.Write($"the trace archive stopped: {error.Message}");

    public void OnCompleted() { }

    public Trace? Find(TraceId id) => traces.TryGetValue(id, out var t) ? t : null;

    /// <summary>The completed trace, waiting for it up to <paramref name="timeout"/> (null when it did not arrive).</summary>
    public async Task<Trace?> WaitAsync(TraceId id, TimeSpan timeout)
    {
        if (Find(id) is { } done) return done;
        if (capacity <= 0) return null;
        var w = waiters.GetOrAdd(id, _ => new TaskCompletionSource<Trace>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Find(id) is { } raced) { waiters.TryRemove(id, out _); return raced; }
        try { return await w.Task.WaitAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException) { waiters.TryRemove(id, out _); return null; }
    }

    /// <summary>Every archived trace below <paramref name="root"/> (sub-agent runs at any depth).</summary>
    public IReadOnlyList<Trace> Descendants(TraceId root)
    {
        var result = new List<Trace>();
        var seen = new HashSet<TraceId> { root };
        var pending = new Queue<TraceId>([root]);
        while (pending.TryDequeue(out var id))
        {
            if (!children.TryGetValue(id, out var kids)) continue;
            foreach (var kid in kids.Keys)
                if (seen.Add(kid) && Find(kid) is { } t) { result.Add(t); pending.Enqueue(kid); }
        }
        return result;
    }

    void Forget(TraceId id)
    {
        if (!traces.TryRemove(id, out var t)) return;
        if (t.ParentTrace.TryGet(out var parent) && children.TryGetValue(parent, out var siblings)) siblings.TryRemove(id, out _);
        children.TryRemove(id, out _);
    }
}
