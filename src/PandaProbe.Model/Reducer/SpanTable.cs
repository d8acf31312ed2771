using System.Collections;

namespace PandaProbe.Model;

/// <summary>
/// The reducer's immutable map from span id to open span (its <see cref="ISpanSlot"/>) (a value type: copying it copies one reference), tuned for
/// the open spans of one trace (usually a handful: the nesting depth plus parallel siblings). One entry is the span
/// itself; up to <see cref="LinearLimit"/> entries it is a small array scanned linearly; beyond that it is a
/// LanguageExt <c>HashMap</c>.
/// Every operation returns a new table and leaves this one unchanged. Equality is by content, whatever the
/// representation or insertion order.
/// </summary>
internal readonly struct SpanTable : IEnumerable<(SpanId Key, ISpanSlot Value)>, IEquatable<SpanTable>
{
    /// <summary>The most entries kept in the linear (array) form.</summary>
    public const int LinearLimit = 8;

    /// <summary>
    /// Null (empty), a single <see cref="ISpanSlot"/> (one entry, keyed by its own id: the common case of one open span, kept
    /// without an array), the small form's array, or the large form's <see cref="Large"/> holder.
    /// </summary>
    readonly object? items;

    sealed class Large(HashMap<SpanId, ISpanSlot> map)
    {
        public readonly HashMap<SpanId, ISpanSlot> Map = map;
    }

    SpanTable(KeyValuePair<SpanId, ISpanSlot>[] array) => items = array;

    SpanTable(ISpanSlot single) => items = single;

    SpanTable(HashMap<SpanId, ISpanSlot> map) => items = new Large(map);

    bool IsLarge => items is Large;

    HashMap<SpanId, ISpanSlot> LargeMap => ((Large)items!).Map;

    /// <summary>The table with no entries (the same as <c>default</c>).</summary>
    public static SpanTable Empty => default;

    KeyValuePair<SpanId, ISpanSlot>[] Small => items switch
    {
        KeyValuePair<SpanId, ISpanSlot>[] array => array,
        ISpanSlot one => [new(one.Id, one)],
        _ => [],
    };

    /// <summary>The number of entries.</summary>
    public int Count => items switch
    {
        null => 0,
        ISpanSlot => 1,
        KeyValuePair<SpanId, ISpanSlot>[] array => array.Length,
        _ => LargeMap.Count,
    };

    /// <summary>The events the open spans have folded so far (the sum of their versions), with no allocation.</summary>
    public int SpanEvents()
    {
        switch (items)
        {
            case null: return 0;
            case ISpanSlot one: return one.State.Version;
            case KeyValuePair<SpanId, ISpanSlot>[] array:
                var sum = 0;
                foreach (var kv in array) sum += kv.Value.State.Version;
                return sum;
            default:
                var total = 0;
                foreach (var (_, slot) in LargeMap) total += slot.State.Version;
                return total;
        }
    }

    /// <summary><c>true</c> when the table has no entries.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The span stored under <paramref name="id"/>, if any.</summary>
    public Option<ISpanSlot> Find(SpanId id)
    {
        if (items is ISpanSlot one) return one.Id == id ? Some(one) : None;
        if (IsLarge) return LargeMap.Find(id);
        var i = IndexOf(id);
        return i < 0 ? None : Some(Small[i].Value);
    }

    /// <summary>The span stored under <paramref name="id"/> (the reducer's lookup: no option, no delegate).</summary>
    internal bool TryFind(SpanId id, out ISpanSlot span)
    {
        switch (items)
        {
            case ISpanSlot one when one.Id == id:
                span = one;
                return true;
            case KeyValuePair<SpanId, ISpanSlot>[] array:
                foreach (var kv in array)
                    if (kv.Key == id) { span = kv.Value; return true; }
                break;
            case Large large:
                span = large.Map.Find(id).IfNoneUnsafe(default(ISpanSlot)!)!;
                return span is not null;
        }
        span = null!;
        return false;
    }

    /// <summary><c>true</c> when a span is stored under <paramref name="id"/>.</summary>
    public bool ContainsKey(SpanId id) => items switch
    {
        null => false,
        ISpanSlot one => one.Id == id,
        Large large => large.Map.ContainsKey(id),
        _ => IndexOf(id) >= 0,
    };

    /// <summary>A table where <paramref name="id"/> maps to <paramref name="span"/> (added or replaced).</summary>
    public SpanTable AddOrUpdate(SpanId id, ISpanSlot span)
    {
        // One entry whose key is the span's own id (the reducer's case) is kept as the span itself.
        if (span is not null && span.Id == id && (items is null || items is ISpanSlot only && only.Id == id)) return new SpanTable(span);
        if (IsLarge) return new SpanTable(LargeMap.AddOrUpdate(id, span!));
        var small = Small;
        var i = IndexOf(small, id);
        if (i >= 0)
        {
            var copy = (KeyValuePair<SpanId, ISpanSlot>[])small.Clone();
            copy[i] = new(id, span!);
            return new SpanTable(copy);
        }
        if (small.Length < LinearLimit)
        {
            var grown = new KeyValuePair<SpanId, ISpanSlot>[small.Length + 1];
            small.CopyTo(grown, 0);
            grown[small.Length] = new(id, span!);
            return new SpanTable(grown);
        }
        var map = HashMap<SpanId, ISpanSlot>();
        foreach (var kv in small) map = map.Add(kv.Key, kv.Value);
        return new SpanTable(map.Add(id, span!));
    }

    /// <summary>A table without <paramref name="id"/> (this table when it is absent).</summary>
    public SpanTable Remove(SpanId id)
    {
        if (IsLarge)
        {
            var map = LargeMap.Remove(id);
            if (map.Count > LinearLimit / 2) return new SpanTable(map);
            if (map.IsEmpty) return Empty;
            var back = new KeyValuePair<SpanId, ISpanSlot>[map.Count];
            var k = 0;
            foreach (var (key, value) in map) back[k++] = new(key, value);
            return new SpanTable(back);
        }
        if (items is ISpanSlot one) return one.Id == id ? Empty : this;
        var small = Small;
        var i = IndexOf(small, id);
        if (i < 0) return this;
        if (small.Length == 1) return Empty;
        var shrunk = new KeyValuePair<SpanId, ISpanSlot>[small.Length - 1];
        System.Array.Copy(small, 0, shrunk, 0, i);
        System.Array.Copy(small, i + 1, shrunk, i, small.Length - i - 1);
        return new SpanTable(shrunk);
    }

    /// <summary>The ids, in no particular order.</summary>
    public IEnumerable<SpanId> Keys => ((IEnumerable<(SpanId Key, ISpanSlot Value)>)this).Select(kv => kv.Key);

    /// <summary>The spans, in no particular order.</summary>
    public IEnumerable<ISpanSlot> Values => ((IEnumerable<(SpanId Key, ISpanSlot Value)>)this).Select(kv => kv.Value);

    int IndexOf(SpanId id) => IndexOf(Small, id);

    static int IndexOf(KeyValuePair<SpanId, ISpanSlot>[] items, SpanId id)
    {
        for (var i = 0; i < items.Length; i++)
            if (items[i].Key == id) return i;
        return -1;
    }

    /// <inheritdoc />
    public IEnumerator<(SpanId Key, ISpanSlot Value)> GetEnumerator() => IsLarge ? FromMap(LargeMap) : FromArray(Small);

    static IEnumerator<(SpanId Key, ISpanSlot Value)> FromMap(HashMap<SpanId, ISpanSlot> map)
    {
        foreach (var (key, value) in map) yield return (key, value);
    }

    static IEnumerator<(SpanId Key, ISpanSlot Value)> FromArray(KeyValuePair<SpanId, ISpanSlot>[] array)
    {
        foreach (var kv in array) yield return (kv.Key, kv.Value);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary><c>true</c> when both tables hold the same ids mapped to equal spans.</summary>
    public bool Equals(SpanTable other)
    {
        if (other.Count != Count) return false;
        foreach (var (key, value) in this)
            if (!other.TryFind(key, out var theirs) || !Equals(value.State, theirs.State)) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SpanTable other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = 0;
        foreach (var (key, value) in this) hash ^= HashCode.Combine(key, value.State);
        return hash;
    }
}
