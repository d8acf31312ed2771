using System.Globalization;

namespace PandaProbe.Model.Delivery;

/// <summary>
/// The platform's validation rules (§2.4) applied before sending, so the exporter never sends a body the platform
/// would answer with 422: names and short texts are truncated with a visible marker, non-finite costs are removed,
/// and scores whose value the platform refuses are reported instead of sent.
/// </summary>
public static class ClientLimits
{
    /// <summary>The longest score name and value the platform stores.</summary>
    public const int MaxScoreText = 255;

    /// <summary>The trace (and its spans) made fit for the wire.</summary>
    /// <param name="trace">The trace.</param>
    public static Trace Sanitize(Trace trace) => trace with
    {
        Name = Limits.Name(trace.Name),
        SessionId = trace.SessionId.Map(Limits.ShortText),
        UserId = trace.UserId.Map(Limits.ShortText),
        Environment = trace.Environment.Map(Limits.ShortText),
        Release = trace.Release.Map(Limits.ShortText),
        Spans = trace.Spans.Map(Sanitize).Strict(),
    };

    /// <summary>The span made fit for the wire.</summary>
    /// <param name="span">The span.</param>
    public static Span Sanitize(Span span) => span with
    {
        Name = Limits.Name(span.Name),
        Model = span.Model.Map(Limits.ShortText),
        Cost = span.Cost.Map(c => new Cost(c.Components.Filter(double.IsFinite))),
    };

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
