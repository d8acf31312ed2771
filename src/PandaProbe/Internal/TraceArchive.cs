namespace PandaProbe.Internal;

/// <summary>
/// The completed sub-agent traces of one client (traces started while another was open, which name it as their
/// parent), kept up to a bound, oldest overwritten first, so that a parent's <c>Summary</c> and <c>PrintTree</c> can
/// roll them up after they ended. A trace without a parent is never a descendant, so it is not kept at all.
/// </summary>
/// <remarks>
/// Any thread that completes a trace may add it (<see cref="Add"/>): it claims a slot with one interlocked increment
/// and writes it, with no lock and no allocation. Readers (rare: a summary or a printed tree) scan the ring; a slot
/// overwritten during a scan only means an older trace was forgotten.
/// </remarks>
internal sealed class TraceArchive
{
    readonly TraceRecord?[] ring;
    long next;

    public TraceArchive(int capacity) => ring = new TraceRecord?[Math.Max(0, capacity)];

    /// <summary>Keeps <paramref name="trace"/> when it is a sub-agent trace (it has a parent trace).</summary>
    public void Add(TraceRecord trace)
    {
        if (trace is null || trace.ParentTrace is null || ring.Length == 0) return;
        var slot = (Interlocked.Increment(ref next) - 1) % ring.Length;
        Volatile.Write(ref ring[slot], trace);
    }

    /// <summary>The kept trace with this id, if any.</summary>
    public TraceRecord? Find(TraceId id)
    {
        for (var i = 0; i < ring.Length; i++)
            if (Volatile.Read(ref ring[i]) is { } t && t.Id == id) return t;
        return null;
    }

    /// <summary>Every kept trace below <paramref name="root"/> (sub-agent runs at any depth), in completion order.</summary>
    public IReadOnlyList<TraceRecord> Descendants(TraceId root)
    {
        if (ring.Length == 0) return [];
        var kept = new List<TraceRecord>(ring.Length);
        var start = Interlocked.Read(ref next);   // the oldest slot first, so children come in completion order
        for (var k = 0; k < ring.Length; k++)
            if (Volatile.Read(ref ring[(start + k) % ring.Length]) is { } t) kept.Add(t);
        var byParent = kept.GroupBy(t => t.ParentTrace!.Value).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<TraceRecord>();
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
