namespace PandaProbe.Model.Pricing;

/// <summary>
/// An immutable, dated list of model prices used to compute a span's cost from its token usage.
/// <see cref="Default"/> is the built-in list; <see cref="With"/> returns a new catalogue with a price added or
/// replaced, so user prices can extend or override the built-in ones.
/// </summary>
/// <remarks>
/// <para><see cref="Find"/> resolves a reported model name in this order, stopping at the first hit:</para>
/// <list type="number">
/// <item>the name itself, trimmed; names match case-insensitively, so an exact match and a match that differs only
/// in case are the same entry (a catalogue never holds two names that differ only in case);</item>
/// <item>the name without a provider or path prefix (<c>openai/gpt-4o</c>, <c>models/gemini-1.5-pro</c>,
/// <c>anthropic.claude-…</c>), then with its trailing release markers stripped one at a time (<c>gpt-4o-2024-08-06</c>
/// → <c>gpt-4o</c>, <c>claude-3-5-sonnet-latest</c> → <c>claude-3-5-sonnet</c>, <c>mistral-large-2411</c>,
/// <c>…-v2:0</c>, <c>…@20241022</c>); see <see cref="ModelNames.Candidates"/>;</item>
/// <item>the longest catalogue name that is a prefix of one of those names at a <c>-</c> boundary, provided the next
/// segment does not start with a digit: <c>gpt-4o-mini-search</c> prices as <c>gpt-4o-mini</c>, never as
/// <c>gpt-4o</c>, and an unknown newer version such as <c>claude-opus-4-9</c> is not priced as <c>claude-opus-4</c>.</item>
/// </list>
/// <para>A name that resolves to nothing is not priced.</para>
/// </remarks>
public sealed class PriceCatalog
{
    /// <summary>The suffix <see cref="With"/> appends to <see cref="Version"/> the first time a price is changed.</summary>
    public const string CustomSuffix = "+custom";

    readonly Map<string, (string Name, ModelPrice Price)> entries;   // keyed by lower-case name

    /// <summary>
    /// What <see cref="Resolve"/> answered for each reported model name, so that pricing a span does not repeat the
    /// candidate and family-prefix search (the catalogue is immutable, so an answer never goes stale). Bounded: past
    /// <see cref="MaxResolved"/> names, new names are resolved without being remembered.
    /// </summary>
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Option<(string Name, ModelPrice Price)>> resolved =
        new(StringComparer.Ordinal);

    const int MaxResolved = 1024;
    int remembered;   // how many names `resolved` holds (ConcurrentDictionary.Count takes every lock)

    PriceCatalog(string version, Map<string, (string Name, ModelPrice Price)> entries)
    {
        Version = version;
        this.entries = entries;
    }

    /// <summary>
    /// The catalogue's version: the date (<c>yyyy-MM-dd</c>) its built-in prices were taken, followed by
    /// <see cref="CustomSuffix"/> once a price was added or replaced with <see cref="With"/>.
    /// </summary>
    public string Version { get; }

    /// <summary>The built-in catalogue: public list prices of common OpenAI, Anthropic, Google and Mistral models.</summary>
    public static PriceCatalog Default { get; } = Build(DefaultPrices.Version, DefaultPrices.All);

    /// <summary>An empty catalogue with the given version, to fill with <see cref="With"/> or <see cref="WithVersion"/>.</summary>
    /// <param name="version">The version to report; blank becomes <c>"custom"</c>.</param>
    public static PriceCatalog Empty(string version) =>
        new(string.IsNullOrWhiteSpace(version) ? "custom" : version.Trim(), Map<string, (string, ModelPrice)>());

    /// <summary>The number of priced model names.</summary>
    public int Count => entries.Count;

    /// <summary>The priced model names, in ordinal order of their lower-case form.</summary>
    public IEnumerable<string> Models => entries.Values.Select(e => e.Name);

    /// <summary>
    /// A catalogue with <paramref name="price"/> for <paramref name="model"/>, replacing any entry whose name differs
    /// only in case. The version gains <see cref="CustomSuffix"/> (once). This catalogue is not changed.
    /// </summary>
    /// <param name="model">The model name to price (trimmed; matched case-insensitively).</param>
    /// <param name="price">Its price.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> is blank.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="price"/> is null.</exception>
    public PriceCatalog With(string model, ModelPrice price)
    {
        if (string.IsNullOrWhiteSpace(model)) throw new ArgumentException("A model name is required.", nameof(model));
        ArgumentNullException.ThrowIfNull(price);
        var name = model.Trim();
        var version = Version.EndsWith(CustomSuffix, StringComparison.Ordinal) ? Version : Version + CustomSuffix;
        return new PriceCatalog(version, entries.AddOrUpdate(name.ToLowerInvariant(), (name, price)));
    }

    /// <summary>The same prices under another version name (for a catalogue maintained by the application).</summary>
    /// <param name="version">The version to report; blank keeps the current one.</param>
    public PriceCatalog WithVersion(string version) =>
        string.IsNullOrWhiteSpace(version) ? this : new PriceCatalog(version.Trim(), entries);

    /// <summary>The price of a reported model name (see the remarks for how names resolve), or none.</summary>
    /// <param name="model">The model name as reported by the provider; <c>null</c> or blank gives none.</param>
    internal Option<ModelPrice> Find(string? model) => Resolve(model).Map(r => r.Price);

    /// <summary>
    /// The price of a reported model name (resolved case-insensitively, without provider prefixes and release
    /// suffixes, then by the longest family prefix), when the catalogue has one.
    /// </summary>
    /// <param name="model">The model name as reported by the provider; <c>null</c> or blank finds nothing.</param>
    /// <param name="price">The price when found.</param>
    public bool TryFind(string? model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelPrice? price)
    {
        var found = Find(model).TryGet(out var p);
        price = found ? p : null;
        return found;
    }

    /// <summary>The catalogue name a reported model name resolves to and its price, or none.</summary>
    /// <param name="model">The model name as reported by the provider; <c>null</c> or blank gives none.</param>
    internal Option<(string Name, ModelPrice Price)> Resolve(string? model)
    {
        if (model is null) return Search(model);
        if (resolved.TryGetValue(model, out var known)) return known;
        var found = Search(model);
        if (Volatile.Read(ref remembered) < MaxResolved && resolved.TryAdd(model, found)) Interlocked.Increment(ref remembered);
        return found;
    }

    Option<(string Name, ModelPrice Price)> Search(string? model)
    {
        var candidates = ModelNames.Candidates(model);
        foreach (var candidate in candidates)
            if (entries.Find(candidate).TryGet(out var hit)) return Some(hit);

        var best = default((string Name, ModelPrice Price)?);
        var bestLength = 0;
        foreach (var candidate in candidates)
            foreach (var (key, entry) in entries)
                if (key.Length > bestLength && IsFamilyPrefix(key, candidate))
                {
                    best = entry;
                    bestLength = key.Length;
                }
        return best is { } found ? Some(found) : None;
    }

    static bool IsFamilyPrefix(string key, string name) =>
        name.Length > key.Length + 1
        && name.StartsWith(key, StringComparison.Ordinal)
        && name[key.Length] == '-'
        && !char.IsDigit(name[key.Length + 1]);

    static PriceCatalog Build(string version, IEnumerable<(string Model, ModelPrice Price)> prices)
    {
        var map = Map<string, (string, ModelPrice)>();
        foreach (var (model, price) in prices) map = map.AddOrUpdate(model.ToLowerInvariant(), (model, price));
        return new PriceCatalog(version, map);
    }
}
