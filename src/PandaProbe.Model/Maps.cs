namespace PandaProbe.Model;

/// <summary>
/// Builds the model's string-keyed maps in one pass. Adding keys one at a time copies a path of the balanced tree
/// per key; LanguageExt's constructor from a sequence builds the tree once, about a quarter of the bytes for ten keys.
/// </summary>
/// <remarks>
/// The maps order keys by the current culture, as LanguageExt's <c>Map&lt;string, …&gt;</c> does. Two different
/// strings that the culture calls equal (one with a zero-width character, say) are one key: a one-pass build keeps the
/// later spelling where adding one at a time kept the first; the value is the later one either way.
/// </remarks>
internal static class Maps
{
    /// <summary>The map of <paramref name="entries"/>, a later entry replacing an earlier one with the same key.</summary>
    public static Map<string, V> Build<V>(List<(string Key, V Value)> entries)
    {
        switch (entries.Count)
        {
            case 0: return Map<string, V>();
            case 1: return Map<string, V>().Add(entries[0].Key, entries[0].Value);
        }
        entries.Reverse();   // the constructor keeps the first of equal keys: reversed, the last one given wins
        return new Map<string, V>(entries, tryAdd: true);
    }

    /// <summary>
    /// Shallow merge: every key of <paramref name="incoming"/> replaces the same key of <paramref name="existing"/>.
    /// A key or two are added to the tree; more rebuild it once.
    /// </summary>
    public static Map<string, V> Merge<V>(Map<string, V> existing, Map<string, V> incoming)
    {
        if (existing.IsEmpty) return incoming;
        if (incoming.IsEmpty) return existing;
        if (incoming.Count <= 2) return incoming.Fold(existing, static (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));
        var all = new List<(string, V)>(existing.Count + incoming.Count);
        foreach (var kv in incoming) all.Add((kv.Key, kv.Value));
        foreach (var kv in existing) all.Add((kv.Key, kv.Value));
        return new Map<string, V>(all, tryAdd: true);   // the first of equal keys is kept: incoming wins
    }
}
