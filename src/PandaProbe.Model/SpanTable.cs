using System.Collections;

namespace PandaProbe.Model;

/// <summary>
/// The reducer's immutable map from span id to open span (a value type: copying it copies one reference), tuned for
/// the open spans of one trace (usually a handful: the nesting depth plus parallel siblings). One entry is the span
/// itself; up to <see cref="LinearLimit"/> entries it is a small array scanned linearly; beyond that it is a
/// LanguageExt <c>HashMap</c>.
/// Every operation returns a new table and leaves this one unchanged. Equality is by content, whatever the
/// representation or insertion order.
/// </summary>
internal readonly struct SpanTable : IEnumerable<(SpanId Key, OpenSpan Value)>, IEquatable<SpanTable>
{
    /// <summary>The most entries kept in the linear (array) form.</summary>
    public const int LinearLimit = 8;

    /// <summary>
    /// Null (empty), a single <see cref="OpenSpan"/> (one entry, keyed by its own id: the common case of one open span, kept
    /// without an array), the small form's array, or the large form's <see cref="Large"/> holder.
    /// </summary>
    readonly object? items;

    sealed class Large(HashMap<SpanId, OpenSpan> map)
    {
        public readonly HashMap<SpanId, OpenSpan> Map = map;
    }

    SpanTable(KeyValuePair<SpanId, OpenSpan>[] array) => items = array;

    SpanTable(OpenSpan single) => items = single;

    SpanTable(HashMap<SpanId, OpenSpan> map) => items = new Large(map);

    bool IsLarge => items is Large;

    HashMap<SpanId, OpenSpan> LargeMap => ((Large)items!).Map;

    /// <summary>The table with no entries (the same as <c>default</c>).</summary>
    public static SpanTable Empty => default;

    KeyValuePair<SpanId, OpenSpan>[] Small => items switch
    {
        KeyValuePair<SpanId, OpenSpan>[] array => array,
        OpenSpan one => [new(one.Id, one)],
        _ => [],
    };

    /// <summary>The number of entries.</summary>
    public int Count => items switch
    {
        null => 0,
        OpenSpan => 1,
        KeyValuePair<SpanId, OpenSpan>[] array => array.Length,
        _ => LargeMap.Count,
    };

    /// <summary><c>true</c> when the table has no entries.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The span stored under <paramref name="id"/>, if any.</summary>
    public Option<OpenSpan> Find(SpanId id)
    {
        if (items is OpenSpan one) return one.Id == id ? Some(one) : None;
        if (IsLarge) return LargeMap.Find(id);
        var i = IndexOf(id);
        return i < 0 ? None : Some(Small[i].Value);
    }

    /// <summary>The span stored under <paramref name="id"/> (the reducer's lookup: no option, no delegate).</summary>
    internal bool TryFind(SpanId id, out OpenSpan span)
    {
        switch (items)
        {
            case OpenSpan one when one.Id == id:
                span = one;
                return true;
            case KeyValuePair<SpanId, OpenSpan>[] array:
                foreach (var kv in array)
                    if (kv.Key == id) { span = kv.Value; return true; }
                break;
            case Large large:
                span = large.Map.Find(id).IfNoneUnsafe(default(OpenSpan)!)!;
                return span is not null;
        }
        span = null!;
        return false;
    }

    /// <summary><c>true</c> when a span is stored under <paramref name="id"/>.</summary>
    public bool ContainsKey(SpanId id) => items switch
    {
        null => false,
        OpenSpan one => one.Id == id,
        Large large => large.Map.ContainsKey(id),
        _ => IndexOf(id) >= 0,
    };

    /// <summary>A table where <paramref name="id"/> maps to <paramref name="span"/> (added or replaced).</summary>
    public SpanTable AddOrUpdate(SpanId id, OpenSpan span)
    {
        // One entry whose key is the span's own id (the reducer's case) is kept as the span itself.
        if (span is not null && span.Id == id && (items is null || items is OpenSpan only && only.Id == id)) return new SpanTable(span);
        if (IsLarge) return new SpanTable(LargeMap.AddOrUpdate(id, span!));
        var small = Small;
        var i = IndexOf(small, id);
        if (i >= 0)
        {
            var copy = (KeyValuePair<SpanId, OpenSpan>[])small.Clone();
            copy[i] = new(id, span!);
            return new SpanTable(copy);
        }
        if (small.Length < LinearLimit)
        {
            var grown = new KeyValuePair<SpanId, OpenSpan>[small.Length + 1];
            small.CopyTo(grown, 0);
            grown[small.Length] = new(id, span!);
            return new SpanTable(grown);
        }
        var map = HashMap<SpanId, OpenSpan>();
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
            var back = new KeyValuePair<SpanId, OpenSpan>[map.Count];
            var k = 0;
            foreach (var (key, value) in map) back[k++] = new(key, value);
            return new SpanTable(back);
        }
        if (items is OpenSpan one) return one.Id == id ? Empty : this;
        var small = Small;
        var i = IndexOf(small, id);
        if (i < 0) return this;
        if (small.Length == 1) return Empty;
        var shrunk = new KeyValuePair<SpanId, OpenSpan>[small.Length - 1];
        System.Array.Copy(small, 0, shrunk, 0, i);
        System.Array.Copy(small, i + 1, shrunk, i, small.Length - i - 1);
        return new SpanTable(shrunk);
    }

    /// <summary>The ids, in no particular order.</summary>
    public IEnumerable<SpanId> Keys => ((IEnumerable<(SpanId Key, OpenSpan Value)>)this).Select(kv => kv.Key);

    /// <summary>The spans, in no particular order.</summary>
    public IEnumerable<OpenSpan> Values => ((IEnumerable<(SpanId Key, OpenSpan Value)>)this).Select(kv => kv.Value);

    int IndexOf(SpanId id) => IndexOf(Small, id);

    static int IndexOf(KeyValuePair<SpanId, OpenSpan>[] items, SpanId id)
    {
        for (var i = 0; i < items.Length; i++)
            if (items[i].Key == id) return i;
        return -1;
    }

    /// <inheritdoc />
    public IEnumerator<(SpanId Key, OpenSpan Value)> GetEnumerator() => IsLarge ? FromMap(LargeMap) : FromArray(Small);

    static IEnumerator<(SpanId Key, OpenSpan Value)> FromMap(HashMap<SpanId, OpenSpan> map)
    {
        foreach (var (key, value) in map) yield return (key, value);
    }

    static IEnumerator<(SpanId Key, OpenSpan Value)> FromArray(KeyValuePair<SpanId, OpenSpan>[] array)
    {
        foreach (var kv in array) yield return (kv.Key, kv.Value);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary><c>true</c> when both tables hold the same ids mapped to equal spans.</summary>
    public bool Equals(SpanTable other)
    {
        if (other.Count != Count) return false;
        foreach (var (key, value) in this)
            if (!other.Find(key).TryGet(out var theirs) || !Equals(value, theirs)) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SpanTable other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = 0;
        foreach (var (key, value) in this) hash ^= HashCode.Combine(key, value);
        return hash;
    }
}
