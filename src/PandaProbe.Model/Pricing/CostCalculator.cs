namespace PandaProbe.Model.Pricing;

/// <summary>
/// Prices token usage with a <see cref="PriceCatalog"/>. Pure and total: it never throws and never returns a negative
/// or non-finite amount.
/// </summary>
/// <remarks>
/// <para>Token semantics follow the OpenAI usage convention, where the two base counts are totals:</para>
/// <list type="bullet">
/// <item><c>prompt_tokens</c> includes cached tokens. <c>cache_read_tokens</c> are priced at
/// <see cref="ModelPrice.CachedInput"/> and <c>cache_creation_tokens</c> at <see cref="ModelPrice.CacheWrite"/>; both
/// are subtracted from <c>prompt_tokens</c>, and only the rest (never less than zero) is priced at
/// <see cref="ModelPrice.Input"/>.</item>
/// <item><c>completion_tokens</c> includes reasoning tokens. <c>reasoning_tokens</c> are priced at
/// <see cref="ModelPrice.Reasoning"/> and subtracted from <c>completion_tokens</c>; the rest (never less than zero) is
/// priced at <see cref="ModelPrice.Output"/>.</item>
/// <item>Negative counts count as zero; <c>total_tokens</c> and any other key is ignored.</item>
/// </list>
/// <para>Usage recorded in a convention where the base counts exclude cache or reasoning tokens (Anthropic's
/// <c>input_tokens</c>, Gemini's thoughts) is priced low by the clamped part; record such usage with the cached and
/// reasoning tokens added into the base counts to price it exactly.</para>
/// <para>Arithmetic is decimal, so amounts such as 100 × $2.50/M are exact before the final conversion to double.
/// The resulting <see cref="Cost"/> has <c>total</c> plus the non-zero components <c>input</c>, <c>output</c>,
/// <c>cache_read</c>, <c>cache_write</c> and <c>reasoning</c>.</para>
/// </remarks>
internal static class CostCalculator
{
    /// <summary>The cost component of uncached prompt tokens.</summary>
    public const string InputKey = "input";
    /// <summary>The cost component of completion tokens other than reasoning tokens.</summary>
    public const string OutputKey = "output";
    /// <summary>The cost component of prompt tokens read from a cache.</summary>
    public const string CacheReadKey = "cache_read";
    /// <summary>The cost component of prompt tokens written to a cache.</summary>
    public const string CacheWriteKey = "cache_write";
    /// <summary>The cost component of reasoning tokens.</summary>
    public const string ReasoningKey = "reasoning";

    /// <summary>The span metadata key telling where a computed cost came from.</summary>
    public const string CostSourceKey = "cost_source";
    /// <summary>The value of <see cref="CostSourceKey"/> for a cost computed from a catalogue.</summary>
    public const string CatalogSource = "catalog";
    /// <summary>The span metadata key holding the <see cref="PriceCatalog.Version"/> that priced the span.</summary>
    public const string CatalogVersionKey = "cost_catalog_version";
    /// <summary>The span metadata key holding the catalogue name the span's model resolved to.</summary>
    public const string CatalogModelKey = "cost_catalog_model";

    const decimal PerMillion = 1_000_000m;

    /// <summary>
    /// The cost of <paramref name="usage"/> for <paramref name="model"/>, or none when an argument is missing or the
    /// model is not in the catalogue.
    /// </summary>
    /// <param name="catalog">The prices to use.</param>
    /// <param name="model">The model name as reported by the provider.</param>
    /// <param name="usage">The token usage of one call.</param>
    public static Option<Cost> Compute(PriceCatalog? catalog, string? model, TokenUsage? usage) =>
        catalog is null || usage is null ? None : catalog.Find(model).Map(price => Compute(price, usage));

    /// <summary>The cost of <paramref name="usage"/> at <paramref name="price"/> (see the remarks for the rules).</summary>
    /// <param name="price">The model's price.</param>
    /// <param name="usage">The token usage of one call.</param>
    public static Cost Compute(ModelPrice price, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(price);
        if (usage is null) return Cost.Of(0);
        decimal Count(string key) => Math.Max(0L, usage[key]);
        var prompt = Count(TokenUsage.PromptKey);
        var completion = Count(TokenUsage.CompletionKey);
        var cacheRead = Count(TokenUsage.CacheReadKey);
        var cacheWrite = Count(TokenUsage.CacheCreationKey);
        var reasoning = Count(TokenUsage.ReasoningKey);

        var parts = new (string Key, decimal Usd)[]
        {
            (InputKey, Math.Max(0m, prompt - cacheRead - cacheWrite) * (decimal)price.Input / PerMillion),
            (CacheReadKey, cacheRead * (decimal)price.CachedInput / PerMillion),
            (CacheWriteKey, cacheWrite * (decimal)price.CacheWrite / PerMillion),
            (OutputKey, Math.Max(0m, completion - reasoning) * (decimal)price.Output / PerMillion),
            (ReasoningKey, reasoning * (decimal)price.Reasoning / PerMillion),
        };
        var total = parts.Sum(p => p.Usd);
        return Cost.Of((double)total, parts.Where(p => p.Usd > 0).Select(p => (p.Key, (double)p.Usd)));
    }

    /// <summary>
    /// The span with a cost computed from its model and token usage when it has both and no cost of its own (an
    /// explicit cost always wins), with <see cref="CostSourceKey"/>, <see cref="CatalogVersionKey"/> and
    /// <see cref="CatalogModelKey"/> merged into its metadata. Otherwise the span unchanged.
    /// </summary>
    /// <param name="catalog">The prices to use; <c>null</c> leaves the span unchanged.</param>
    /// <param name="span">The span to price.</param>
    public static Span Apply(PriceCatalog? catalog, Span span)
    {
        if (catalog is null || span is null || span.Cost is not null) return span!;
        if (span.Model is not { } model || span.Tokens is not { } tokens) return span;
        if (!catalog.Resolve(model).TryGet(out var hit)) return span;
        return span with
        {
            Cost = Compute(hit.Price, tokens),
            Metadata = span.Metadata
                .AddOrUpdate(CostSourceKey, Payload.Text(CatalogSource))
                .AddOrUpdate(CatalogVersionKey, Payload.Text(catalog.Version))
                .AddOrUpdate(CatalogModelKey, Payload.Text(hit.Name)),
        };
    }

    /// <summary>The trace with <see cref="Apply(PriceCatalog?, Span)"/> applied to each of its spans.</summary>
    /// <param name="catalog">The prices to use; <c>null</c> leaves the trace unchanged.</param>
    /// <param name="trace">The trace to price.</param>
    /// <returns>The same trace (no copy) when no span needed a price.</returns>
    public static TraceRecord Apply(PriceCatalog? catalog, TraceRecord trace)
    {
        if (catalog is null || trace is null) return trace!;
        var spans = trace.Spans;
        for (var i = 0; i < spans.Count; i++)
        {
            var priced = Apply(catalog, spans[i]);
            if (ReferenceEquals(priced, spans[i])) continue;
            // The first span that changes: copy the spans seen so far and price the rest.
            var result = new Span[spans.Count];
            for (var j = 0; j < i; j++) result[j] = spans[j];
            result[i] = priced;
            for (var j = i + 1; j < spans.Count; j++) result[j] = Apply(catalog, spans[j]);
            return trace with { Spans = Seq(result).Strict() };
        }
        return trace;
    }
}
