using System.Globalization;

namespace PandaProbe.Model.Summary;

/// <summary>Sums and formats US-dollar amounts held as doubles.</summary>
internal static class Money
{
    /// <summary>
    /// The sum of the finite amounts (non-finite ones count as zero). Each amount is first rounded to 15 significant
    /// digits and the sum is taken in decimal, so 0.00075 + 0.0084 is 0.00915 and not 0.009150000000000001; amounts
    /// beyond decimal's range are summed as doubles.
    /// </summary>
    /// <param name="amounts">The amounts in US dollars.</param>
    public static double Sum(IEnumerable<double> amounts)
    {
        var finite = amounts.Where(double.IsFinite).ToArray();
        try { return (double)finite.Sum(a => (decimal)a); }
        catch (OverflowException) { return finite.Sum(); }
    }

    /// <summary>
    /// An amount as <c>$0.0008</c>: rounded half away from zero to <paramref name="decimals"/> places (after
    /// rounding the double to 15 significant digits, so 0.00075 shows as <c>$0.0008</c>), invariant culture.
    /// </summary>
    /// <param name="usd">The amount in US dollars.</param>
    /// <param name="decimals">Decimal places, 0 to 10 (clamped).</param>
    public static string Format(double usd, int decimals = 4)
    {
        decimals = Math.Clamp(decimals, 0, 10);
        if (!double.IsFinite(usd)) return "$" + usd.ToString(CultureInfo.InvariantCulture);
        string text;
        try { text = Math.Round((decimal)usd, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals, CultureInfo.InvariantCulture); }
        catch (OverflowException) { text = usd.ToString("F" + decimals, CultureInfo.InvariantCulture); }
        return text.StartsWith('-') ? "-$" + text[1..] : "$" + text;
    }
}
