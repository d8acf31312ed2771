namespace PandaProbe.Model.Summary;

/// <summary>What one model did within a trace: how many spans used it, their tokens and their cost.</summary>
/// <param name="Calls">The number of ended spans that named this model.</param>
/// <param name="PromptTokens">The sum of their <c>prompt_tokens</c>.</param>
/// <param name="CompletionTokens">The sum of their <c>completion_tokens</c>.</param>
/// <param name="TotalTokens">Prompt plus completion tokens, as the platform totals them.</param>
/// <param name="Cost">The sum of their cost totals, in US dollars.</param>
public sealed record ModelUsageSummary(long Calls, long PromptTokens, long CompletionTokens, long TotalTokens, double Cost);
