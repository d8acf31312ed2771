namespace PandaProbe.Model.Pricing;

/// <summary>
/// The list price of one model in US dollars per million tokens, with a separate price for each kind of token.
/// </summary>
/// <remarks>
/// Prices that a vendor does not list separately fall back to the price that applies in practice: cache reads and
/// cache writes cost the <see cref="Input"/> price (no discount, no premium), and reasoning tokens cost the
/// <see cref="Output"/> price. Every price is finite, not negative and at most <see cref="MaxPrice"/>; the
/// constructor throws <see cref="ArgumentOutOfRangeException"/> otherwise, so an invalid price fails where it is
/// configured rather than where a span is priced.
/// </remarks>
public sealed record ModelPrice
{
    /// <summary>The largest accepted price, in US dollars per million tokens (a guard against typos and overflow).</summary>
    public const double MaxPrice = 1_000_000d;

    /// <summary>Creates a price.</summary>
    /// <param name="input">USD per million uncached prompt (input) tokens.</param>
    /// <param name="output">USD per million completion (output) tokens.</param>
    /// <param name="cachedInput">USD per million prompt tokens read from a cache; defaults to <paramref name="input"/>.</param>
    /// <param name="cacheWrite">USD per million prompt tokens written to a cache; defaults to <paramref name="input"/>.</param>
    /// <param name="reasoning">USD per million reasoning (thinking) tokens; defaults to <paramref name="output"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A price is negative, not finite or above <see cref="MaxPrice"/>.</exception>
    public ModelPrice(double input, double output, double? cachedInput = null, double? cacheWrite = null, double? reasoning = null)
    {
        Input = Check(input, nameof(input));
        Output = Check(output, nameof(output));
        CachedInput = Check(cachedInput ?? input, nameof(cachedInput));
        CacheWrite = Check(cacheWrite ?? input, nameof(cacheWrite));
        Reasoning = Check(reasoning ?? output, nameof(reasoning));
    }

    /// <summary>USD per million uncached prompt (input) tokens.</summary>
    public double Input { get; }

    /// <summary>USD per million completion (output) tokens, reasoning tokens excluded.</summary>
    public double Output { get; }

    /// <summary>USD per million prompt tokens served from a prompt cache (a cache read or hit).</summary>
    public double CachedInput { get; }

    /// <summary>USD per million prompt tokens written to a prompt cache (a cache write or creation).</summary>
    public double CacheWrite { get; }

    /// <summary>USD per million reasoning (thinking) tokens.</summary>
    public double Reasoning { get; }

    /// <summary>Where the price was read: the vendor's public price page, for built-in entries.</summary>
    public string? Source { get; init; }

    /// <summary>The date (<c>yyyy-MM-dd</c>) on which the price was read from <see cref="Source"/>.</summary>
    public string? AsOf { get; init; }

    static double Check(double value, string name) =>
        double.IsFinite(value) && value >= 0 && value <= MaxPrice
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"A price must be finite and between 0 and {MaxPrice} USD per million tokens.");
}
