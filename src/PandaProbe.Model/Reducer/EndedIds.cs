namespace PandaProbe.Model;

/// <summary>
/// The ids of a trace's ended spans, for the reducer's duplicate check, as a persistent set built from frozen hash
/// sets of doubling size (a binomial heap's shape): level <c>i</c> holds <see cref="Run"/> × 2^<c>i</c> ids or is
/// empty, and a new run of ids carries into the levels like a binary counter. Each id is copied O(log n) times over a
/// trace's life and a lookup probes O(log n) sets, with no hash-trie path copied per span (which cost about a
/// kilobyte per span in a trace of 100,000). The sets are never changed once built, so every version of a trace's
/// state keeps its own view.
/// </summary>
internal readonly struct EndedIds
{
    /// <summary>How many ended spans are checked by a linear scan before they are added to the sets as one run.</summary>
    public const int Run = 32;

    readonly System.Collections.Generic.HashSet<SpanId>?[]? levels;

    EndedIds(System.Collections.Generic.HashSet<SpanId>?[] levels) => this.levels = levels;

    static readonly System.Collections.Generic.HashSet<SpanId>?[] NoLevels = [];

    /// <summary>
    /// The ids of a trace whose span ids the SDK mints (every trace the facade starts): a fresh random id cannot be an
    /// ended span's, so none are kept and the duplicate check has nothing to look at.
    /// </summary>
    public static EndedIds NotKept { get; } = new(NoLevels);

    /// <summary><c>true</c> for <see cref="NotKept"/>.</summary>
    public bool IsNotKept => ReferenceEquals(levels, NoLevels);

    /// <summary><c>true</c> when <paramref name="id"/> is in one of the sets.</summary>
    public bool Contains(SpanId id)
    {
        if (levels is null) return false;
        foreach (var level in levels)
            if (level is not null && level.Contains(id)) return true;
        return false;
    }

    /// <summary>These ids and the <see cref="Run"/> ids of <paramref name="spans"/> from <paramref name="from"/> on.</summary>
    public EndedIds With(Seq<Span> spans, int from)
    {
        if (IsNotKept) return this;
        var carry = new System.Collections.Generic.HashSet<SpanId>(Run);
        for (var i = from; i < from + Run && i < spans.Count; i++) carry.Add(spans[i].Id);
        var next = levels is null ? [] : (System.Collections.Generic.HashSet<SpanId>?[])levels.Clone();
        for (var i = 0; ; i++)
        {
            if (i == next.Length) System.Array.Resize(ref next, i + 1);
            if (next[i] is not { } full)
            {
                next[i] = carry;
                return new EndedIds(next);
            }
            var merged = new System.Collections.Generic.HashSet<SpanId>(full.Count + carry.Count);
            merged.UnionWith(full);
            merged.UnionWith(carry);
            carry = merged;
            next[i] = null;
        }
    }
}
