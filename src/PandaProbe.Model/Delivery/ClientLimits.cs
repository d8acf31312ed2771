using System.Globalization;

namespace PandaProbe.Model.Delivery;

/// <summary>
/// The platform's score rules (§2.4) checked before sending, so the exporter never sends a score the platform would
/// answer with 422: such scores are reported instead of sent. (Names and short texts of traces and spans are fitted
/// by the pipeline's enrichment, <c>Enricher</c>.)
/// </summary>
internal static class ClientLimits
{
    /// <summary>The longest score name and value the platform stores (<see cref="Limits.MaxScoreText"/>).</summary>
    public const int MaxScoreText = Limits.MaxScoreText;

    /// <summary>Why the platform would refuse the score, or None when it is acceptable.</summary>
    /// <param name="score">The score.</param>
    public static Option<string> Check(Score score)
    {
        if (string.IsNullOrWhiteSpace(score.Name)) return "score name is empty";
        if (score.Name.Length > MaxScoreText) return $"score name is longer than {MaxScoreText} characters";
        if (score.Value is null || score.Value.Length > MaxScoreText) return $"score value is missing or longer than {MaxScoreText} characters";
        return score.DataType switch
        {
            ScoreDataType.Numeric => double.TryParse(score.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is >= 0d and <= 1d
                ? None
                : Some($"NUMERIC score value '{score.Value}' is not a number in [0, 1]"),
            ScoreDataType.Boolean => score.Value.Equals("true", StringComparison.OrdinalIgnoreCase) || score.Value.Equals("false", StringComparison.OrdinalIgnoreCase)
                ? None
                : Some($"BOOLEAN score value '{score.Value}' is not true or false"),
            _ => None,
        };
    }
}
