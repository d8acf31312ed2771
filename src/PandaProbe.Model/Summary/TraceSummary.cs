namespace PandaProbe.Model.Summary;

/// <summary>
/// Aggregated statistics of one trace and, for cost, of the sub-agent traces started inside it. Produced by
/// <c>TraceSummaries.Of</c>; every member is a plain .NET type.
/// </summary>
/// <remarks>
/// Counts and tokens cover the spans of this trace that have ended; they do not include child traces. Only
/// <see cref="CostWithChildren"/> rolls up over <see cref="Children"/>. <see cref="ErrorCount"/> counts the spans with
/// status <c>ERROR</c>, plus one when the trace itself has status <c>ERROR</c>.
/// </remarks>
public sealed record TraceSummary
{
    /// <summary>The trace id (lower-case GUID).</summary>
    public required string TraceId { get; init; }

    /// <summary>The trace name.</summary>
    public required string Name { get; init; }

    /// <summary>The id of the trace this one was started inside (a sub-agent's parent run), if any.</summary>
    public string? ParentTraceId { get; init; }

    /// <summary>The trace status.</summary>
    public TraceStatus Status { get; init; }

    /// <summary>The number of ended spans.</summary>
    public long SpanCount { get; init; }

    /// <summary>Spans with status <c>ERROR</c>, plus one when the trace itself has status <c>ERROR</c>.</summary>
    public long ErrorCount { get; init; }

    /// <summary>The sum of the spans' <c>prompt_tokens</c>.</summary>
    public long PromptTokens { get; init; }

    /// <summary>The sum of the spans' <c>completion_tokens</c>.</summary>
    public long CompletionTokens { get; init; }

    /// <summary><see cref="PromptTokens"/> plus <see cref="CompletionTokens"/>, as the platform totals tokens.</summary>
    public long TotalTokens { get; init; }

    /// <summary>The sum of this trace's span cost totals, in US dollars.</summary>
    public double Cost { get; init; }

    /// <summary><see cref="Cost"/> plus the <see cref="CostWithChildren"/> of every child trace, in US dollars.</summary>
    public double CostWithChildren { get; init; }

    /// <summary>How long the trace ran; <c>null</c> while it is open.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Per-model breakdown over the spans that name a model, keyed by the model name as recorded.</summary>
    public IReadOnlyDictionary<string, ModelUsage> Models { get; init; } = new Dictionary<string, ModelUsage>();

    /// <summary>The summaries of the sub-agent traces started inside this one.</summary>
    public IReadOnlyList<TraceSummary> Children { get; init; } = [];

    /// <summary>What one model did within a trace: how many spans used it, their tokens and their cost.</summary>
    /// <param name="Calls">The number of ended spans that named this model.</param>
    /// <param name="PromptTokens">The sum of their <c>prompt_tokens</c>.</param>
    /// <param name="CompletionTokens">The sum of their <c>completion_tokens</c>.</param>
    /// <param name="TotalTokens">Prompt plus completion tokens, as the platform totals them.</param>
    /// <param name="Cost">The sum of their cost totals, in US dollars.</param>
    public sealed record ModelUsage(long Calls, long PromptTokens, long CompletionTokens, long TotalTokens, double Cost);
}
