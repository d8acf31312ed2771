using PandaProbe.Model.Pricing;

namespace PandaProbe.Model.Summary;

/// <summary>Pure functions that aggregate a <see cref="TraceRecord"/> into a <see cref="TraceSummary"/>.</summary>
internal static class TraceSummaries
{
    /// <summary>
    /// The summary of one trace. Counts, tokens, <see cref="TraceSummary.Cost"/> and the per-model breakdown cover the
    /// trace's ended spans; <see cref="TraceSummary.CostWithChildren"/> adds the children's own
    /// <see cref="TraceSummary.CostWithChildren"/>.
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="children">The summaries of sub-agent traces started inside it; none when <c>null</c>.</param>
    /// <param name="catalog">
    /// When given, a span with a model and token usage but no cost is priced from it
    /// (<see cref="CostCalculator.Apply(PriceCatalog?, Span)"/>); an explicit cost always wins.
    /// </param>
    /// <remarks>
    /// Error count: every span whose status is <c>ERROR</c>, plus one when the trace's own status is <c>ERROR</c>
    /// (a trace-level failure is counted even when no span failed). A span without a cost contributes 0.
    /// </remarks>
    public static TraceSummary Of(TraceRecord trace, IReadOnlyList<TraceSummary>? children = null, PriceCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var kids = children?.Where(c => c is not null).ToArray() ?? [];
        var spans = trace.Spans.Map(s => CostCalculator.Apply(catalog, s)).ToArray();

        var models = spans
            .Where(s => s.Model is not null)
            .GroupBy(s => s.Model ?? string.Empty, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g =>
                {
                    var prompt = SumOf(g, Prompt);
                    var completion = SumOf(g, Completion);
                    return new TraceSummary.ModelUsage(g.LongCount(), prompt, completion, Add(prompt, completion), Money.Sum(g.Select(CostOf)));
                },
                StringComparer.Ordinal);

        var promptTokens = SumOf(spans, Prompt);
        var completionTokens = SumOf(spans, Completion);
        var cost = Money.Sum(spans.Select(CostOf));
        return new TraceSummary
        {
            TraceId = trace.Id.ToString(),
            Name = trace.Name,
            ParentTraceId = trace.ParentTrace is { } parent ? parent.ToString() : null,
            Status = trace.Status,
            SpanCount = spans.LongLength,
            ErrorCount = spans.LongCount(s => s.Status == SpanStatus.Error) + (trace.Status == TraceStatus.Error ? 1 : 0),
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TotalTokens = Add(promptTokens, completionTokens),
            Cost = cost,
            CostWithChildren = Money.Sum(kids.Select(k => k.CostWithChildren).Prepend(cost)),
            Duration = trace.Duration is { } duration ? duration : null,
            Models = models,
            Children = kids,
        };
    }

    /// <summary>
    /// The summary of <paramref name="root"/> with its sub-agent traces found among <paramref name="related"/>:
    /// a trace is a child of the trace named by its <see cref="TraceRecord.ParentTrace"/>, at any depth, ordered by start
    /// time. Traces not linked to the root are ignored; a cycle of links is cut.
    /// </summary>
    /// <param name="root">The top trace.</param>
    /// <param name="related">Other traces, in any order (the root may be among them).</param>
    /// <param name="catalog">Prices for spans without a cost, as in <see cref="Of"/>.</param>
    public static TraceSummary OfTree(TraceRecord root, IEnumerable<TraceRecord>? related, PriceCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var byParent = TraceTree.ChildrenByParent(related);
        TraceSummary Go(TraceRecord t, System.Collections.Immutable.ImmutableHashSet<TraceId> path)
        {
            var below = path.Add(t.Id);
            var kids = TraceTree.ChildrenOf(byParent, t.Id)
                .Where(c => !below.Contains(c.Id))
                .Select(c => Go(c, below))
                .ToArray();
            return Of(t, kids, catalog);
        }
        return Go(root, System.Collections.Immutable.ImmutableHashSet<TraceId>.Empty);
    }

    // Token sums saturate at long.MaxValue instead of wrapping around (counts are never negative here).
    static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
    static long SumOf(IEnumerable<Span> spans, Func<Span, long> count) => spans.Aggregate(0L, (acc, s) => Add(acc, count(s)));

    static long Prompt(Span s) => (s.Tokens is { } t ? Math.Max(0L, t.Prompt) : 0L);
    static long Completion(Span s) => (s.Tokens is { } t ? Math.Max(0L, t.Completion) : 0L);
    static double CostOf(Span s) => (s.Cost?.Total ?? 0d);
}
