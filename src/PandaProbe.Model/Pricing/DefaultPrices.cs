namespace PandaProbe.Model.Pricing;

/// <summary>
/// The built-in price list behind <see cref="PriceCatalog.Default"/>: public pay-as-you-go list prices in USD per
/// million tokens, standard tier, no batch discount. Long-context surcharges (such as Gemini 2.5 Pro above 200K
/// prompt tokens) are not modelled: the base tier applies. Anthropic cache writes use the 5-minute cache price.
/// </summary>
static class DefaultPrices
{
    /// <summary>The date the list was taken; reported as <see cref="PriceCatalog.Version"/>.</summary>
    public const string Version = "2026-06-01";

    const string OpenAi = "https://openai.com/api/pricing/";
    const string Anthropic = "https://docs.anthropic.com/en/docs/about-claude/pricing";
    const string Google = "https://ai.google.dev/gemini-api/docs/pricing";
    const string Mistral = "https://mistral.ai/pricing#api-pricing";

    static (string, ModelPrice) P(string model, string source, double input, double output,
        double? cachedInput = null, double? cacheWrite = null) =>
        (model, new ModelPrice(input, output, cachedInput, cacheWrite) { Source = source, AsOf = Version });

    public static IEnumerable<(string Model, ModelPrice Price)> All => new[]
    {
        // OpenAI: cached input is the "cached input" column; there is no separate cache-write charge.
        P("gpt-4o", OpenAi, 2.50, 10.00, 1.25),
        P("gpt-4o-mini", OpenAi, 0.15, 0.60, 0.075),
        P("gpt-4.1", OpenAi, 2.00, 8.00, 0.50),
        P("gpt-4.1-mini", OpenAi, 0.40, 1.60, 0.10),
        P("gpt-4.1-nano", OpenAi, 0.10, 0.40, 0.025),
        P("gpt-4-turbo", OpenAi, 10.00, 30.00),
        P("gpt-4", OpenAi, 30.00, 60.00),
        P("gpt-3.5-turbo", OpenAi, 0.50, 1.50),
        P("gpt-5", OpenAi, 1.25, 10.00, 0.125),
        P("gpt-5-mini", OpenAi, 0.25, 2.00, 0.025),
        P("gpt-5-nano", OpenAi, 0.05, 0.40, 0.005),
        P("gpt-5.1", OpenAi, 1.25, 10.00, 0.125),
        P("gpt-5.4", OpenAi, 2.50, 15.00, 0.25),
        P("gpt-5.4-mini", OpenAi, 0.75, 4.50, 0.075),
        P("gpt-5.4-nano", OpenAi, 0.20, 1.25, 0.02),
        P("o1", OpenAi, 15.00, 60.00, 7.50),
        P("o1-mini", OpenAi, 1.10, 4.40, 0.55),
        P("o3", OpenAi, 2.00, 8.00, 0.50),
        P("o3-mini", OpenAi, 1.10, 4.40, 0.55),
        P("o4-mini", OpenAi, 1.10, 4.40, 0.275),
        P("text-embedding-3-small", OpenAi, 0.02, 0),
        P("text-embedding-3-large", OpenAi, 0.13, 0),
        P("text-embedding-ada-002", OpenAi, 0.10, 0),

        // Anthropic: cache hits at 0.1x and 5-minute cache writes at 1.25x the base input price.
        P("claude-3-haiku", Anthropic, 0.25, 1.25, 0.03, 0.30),
        P("claude-3-opus", Anthropic, 15.00, 75.00, 1.50, 18.75),
        P("claude-3-5-haiku", Anthropic, 0.80, 4.00, 0.08, 1.00),
        P("claude-3-5-sonnet", Anthropic, 3.00, 15.00, 0.30, 3.75),
        P("claude-3-7-sonnet", Anthropic, 3.00, 15.00, 0.30, 3.75),
        P("claude-sonnet-4", Anthropic, 3.00, 15.00, 0.30, 3.75),
        P("claude-sonnet-4-5", Anthropic, 3.00, 15.00, 0.30, 3.75),
        P("claude-opus-4", Anthropic, 15.00, 75.00, 1.50, 18.75),
        P("claude-opus-4-1", Anthropic, 15.00, 75.00, 1.50, 18.75),
        P("claude-opus-4-5", Anthropic, 5.00, 25.00, 0.50, 6.25),
        P("claude-haiku-4-5", Anthropic, 1.00, 5.00, 0.10, 1.25),

        // Google Gemini API (paid tier, prompts up to the base context tier); thinking tokens bill at the output price.
        P("gemini-1.5-pro", Google, 1.25, 5.00, 0.3125),
        P("gemini-1.5-flash", Google, 0.075, 0.30, 0.01875),
        P("gemini-2.0-flash", Google, 0.10, 0.40, 0.025),
        P("gemini-2.0-flash-lite", Google, 0.075, 0.30),
        P("gemini-2.5-pro", Google, 1.25, 10.00, 0.125),
        P("gemini-2.5-flash", Google, 0.30, 2.50, 0.03),
        P("gemini-2.5-flash-lite", Google, 0.10, 0.40, 0.01),

        // Mistral.
        P("mistral-large", Mistral, 2.00, 6.00),
        P("mistral-medium", Mistral, 0.40, 2.00),
        P("mistral-small", Mistral, 0.20, 0.60),
        P("codestral", Mistral, 0.30, 0.90),
        P("mistral-embed", Mistral, 0.10, 0),
    };
}
