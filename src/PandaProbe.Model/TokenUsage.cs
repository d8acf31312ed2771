namespace PandaProbe.Model;

/// <summary>
/// Integer token counts of one LLM call, keyed by their wire names (<c>prompt_tokens</c>, <c>completion_tokens</c>,
/// and any extra keys such as <c>reasoning_tokens</c> or <c>cache_read_tokens</c>). Setting usage replaces it whole.
/// </summary>
/// <param name="Counts">Every count, by wire key.</param>
public sealed record TokenUsage(Map<string, long> Counts)
{
    /// <summary>The wire key of the prompt (input) token count.</summary>
    public const string PromptKey = "prompt_tokens";
    /// <summary>The wire key of the completion (output) token count.</summary>
    public const string CompletionKey = "completion_tokens";
    /// <summary>The wire key of the total token count.</summary>
    public const string TotalKey = "total_tokens";

    static readonly Map<string, long> Base = Map<string, long>();

    /// <summary>Usage with both base keys present, plus extras (an extra named like a base key is ignored).</summary>
    public static TokenUsage Of(long prompt, long completion, IEnumerable<(string Key, long Value)>? extra = null)
    {
        var counts = Base.AddOrUpdate(PromptKey, prompt).AddOrUpdate(CompletionKey, completion);
        if (extra is not null)
            foreach (var (k, v) in extra)
                if (k is not null && k != PromptKey && k != CompletionKey) counts = counts.AddOrUpdate(k, v);
        return new TokenUsage(counts);
    }

    /// <summary>The prompt token count (0 when absent).</summary>
    public long Prompt => Counts.Find(PromptKey).IfNone(0L);

    /// <summary>The completion token count (0 when absent).</summary>
    public long Completion => Counts.Find(CompletionKey).IfNone(0L);

    /// <summary>The explicit <c>total_tokens</c> when present, otherwise prompt plus completion.</summary>
    public long Total => Counts.Find(TotalKey).IfNone(Prompt + Completion);

    /// <summary>A count by key, 0 when absent.</summary>
    public long this[string key] => Counts.Find(key).IfNone(0L);
}
