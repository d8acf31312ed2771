namespace PandaProbe.Model;

/// <summary>
/// Integer token counts of one LLM call, keyed by their wire names (<c>prompt_tokens</c>, <c>completion_tokens</c>,
/// and any extra keys such as <c>reasoning_tokens</c> or <c>cache_read_tokens</c>). Setting usage replaces it whole.
/// </summary>
/// <remarks>
/// Usage made by <see cref="Of"/> with no extras (what a setter records on the caller's thread) keeps its two counts
/// as numbers and builds <see cref="Counts"/> only when it is read (on the export side), so recording it costs no map.
/// Equality is by <see cref="Counts"/> whatever the form.
/// </remarks>
public sealed record TokenUsage
{
    /// <summary>The wire key of the prompt (input) token count.</summary>
    public const string PromptKey = "prompt_tokens";
    /// <summary>The wire key of the completion (output) token count.</summary>
    public const string CompletionKey = "completion_tokens";
    /// <summary>The wire key of the total token count.</summary>
    public const string TotalKey = "total_tokens";
    /// <summary>The wire key of prompt tokens served from a cache (priced at the cache-read rate).</summary>
    public const string CacheReadKey = "cache_read_tokens";
    /// <summary>The wire key of prompt tokens written to a cache (priced at the cache-write rate).</summary>
    public const string CacheCreationKey = "cache_creation_tokens";
    /// <summary>The wire key of reasoning tokens (a part of the completion tokens).</summary>
    public const string ReasoningKey = "reasoning_tokens";

    readonly long prompt, completion;   // the base form: the two base counts and nothing else
    Built? counts;                       // the map: as given, or built from the base form when first read

    sealed class Built(Map<string, long> value)
    {
        public readonly Map<string, long> Value = value;
    }

    /// <summary>Usage with exactly these counts.</summary>
    /// <param name="Counts">Every count, by wire key.</param>
    public TokenUsage(Map<string, long> Counts) => counts = new Built(Counts);

    TokenUsage(long prompt, long completion) => (this.prompt, this.completion) = (prompt, completion);

    /// <summary>Every count, by wire key.</summary>
    public Map<string, long> Counts
    {
        get => (counts ??= new Built(Map<string, long>().Add(CompletionKey, completion).Add(PromptKey, prompt))).Value;
        init => counts = new Built(value);
    }

    /// <summary>The counts, as a positional record gives them.</summary>
    public void Deconstruct(out Map<string, long> Counts) => Counts = this.Counts;

    /// <summary>Usage with both base keys present, plus extras (an extra named like a base key is ignored).</summary>
    public static TokenUsage Of(long prompt, long completion, IEnumerable<(string Key, long Value)>? extra = null)
    {
        if (extra is null || extra is ICollection<(string, long)> { Count: 0 }) return new TokenUsage(prompt, completion);
        var counts = Map<string, long>().Add(CompletionKey, completion).Add(PromptKey, prompt);
        foreach (var (k, v) in extra)
            if (k is not null && k != PromptKey && k != CompletionKey) counts = counts.AddOrUpdate(k, v);
        return new TokenUsage(counts);
    }

    bool IsBase => counts is null;

    /// <summary>The two base counts, when the usage has no other key (without building <see cref="Counts"/>).</summary>
    internal bool TryGetBase(out long basePrompt, out long baseCompletion)
    {
        (basePrompt, baseCompletion) = (prompt, completion);
        return IsBase;
    }

    /// <summary>The prompt token count (0 when absent).</summary>
    public long Prompt => IsBase ? prompt : Counts.Find(PromptKey).IfNone(0L);

    /// <summary>The completion token count (0 when absent).</summary>
    public long Completion => IsBase ? completion : Counts.Find(CompletionKey).IfNone(0L);

    /// <summary>The explicit <c>total_tokens</c> when present, otherwise prompt plus completion.</summary>
    public long Total => IsBase ? prompt + completion : Counts.Find(TotalKey).IfNone(Prompt + Completion);

    /// <summary>A count by key, 0 when absent.</summary>
    public long this[string key] => Counts.Find(key).IfNone(0L);

    /// <summary>Equal when the counts are equal.</summary>
    public bool Equals(TokenUsage? other) =>
        ReferenceEquals(this, other)
        || other is not null && (IsBase && other.IsBase ? prompt == other.prompt && completion == other.completion : Counts.Equals(other.Counts));

    /// <inheritdoc />
    public override int GetHashCode() => Counts.GetHashCode();
}
