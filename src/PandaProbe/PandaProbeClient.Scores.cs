using System.Globalization;
using PandaProbe.Ambient;
using PandaProbe.Model.Delivery;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>
/// Scores and user feedback on traces. One rule for every call here: a value the platform would refuse (an empty or
/// too long name or label, a number outside [0, 1], a label outside its categories, no trace to score) is refused and
/// counted (<see cref="DropReason.InvalidValue"/>, reported to <see cref="SelfLog"/>), never thrown.
/// </summary>
public sealed partial class PandaProbeClient
{
    /// <summary>
    /// Records a NUMERIC score for a trace (sent to <c>POST /evaluations/trace-scores</c> with source
    /// <c>PROGRAMMATIC</c>, after the traces recorded before it). A score racing its trace's ingestion is retried.
    /// </summary>
    /// <param name="traceId">The scored trace (for example <see cref="TraceContext.TraceId"/>).</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="value">The value, in [0, 1] as the platform requires; another value is refused and counted.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(Guid traceId, string name, double value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null)
    {
        if (!InUnitRange(value, $"score '{name}'")) return;
        Submit(traceId, name, Number(value), ScoreDataType.Numeric, reason, metadata);
    }

    /// <summary>Records a BOOLEAN score for a trace. See <see cref="Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="value">The value.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(Guid traceId, string name, bool value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Submit(traceId, name, value ? "true" : "false", ScoreDataType.Boolean, reason, metadata);

    /// <summary>Records a CATEGORICAL score (a label) for a trace. See <see cref="Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="category">The label (1–255 characters); another is refused and counted.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    public void Score(Guid traceId, string name, string category, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        Submit(traceId, name, category, ScoreDataType.Categorical, reason, metadata);

    /// <summary>
    /// Records thumbs-up/down style feedback as a BOOLEAN trace score (<c>"true"</c>/<c>"false"</c>) named
    /// <paramref name="name"/>, on <paramref name="traceId"/> or the current trace of this flow.
    /// </summary>
    /// <param name="value"><c>true</c> for positive feedback.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public void LogBinaryFeedback(bool value, Guid? traceId = null, string name = "binary_feedback", string? reason = null) =>
        Submit(traceId, name, value ? "true" : "false", ScoreDataType.Boolean, reason, null);

    /// <summary>Records a rating between 0 and 1 (inclusive) as a NUMERIC trace score; another value is refused and counted.</summary>
    /// <param name="value">The rating, 0 to 1.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public void LogNumericFeedback(double value, Guid? traceId = null, string name = "numeric_feedback", string? reason = null)
    {
        if (!InUnitRange(value, $"feedback '{name}'")) return;
        Submit(traceId, name, Number(value), ScoreDataType.Numeric, reason, null);
    }

    /// <summary>
    /// Records a label chosen from <paramref name="categories"/> as a CATEGORICAL trace score (the categories are
    /// sent in the score's metadata). A value that is not one of the categories is refused and counted.
    /// </summary>
    /// <param name="value">The chosen label.</param>
    /// <param name="categories">The labels that could be chosen.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public void LogCategoricalFeedback(string value, IReadOnlyList<string> categories, Guid? traceId = null,
        string name = "categorical_feedback", string? reason = null)
    {
        if (value is null || categories is null || !categories.Contains(value))
        {
            if (IsEnabled) Refuse($"feedback '{name}': '{value}' is not one of its categories");
            return;
        }
        Submit(traceId, name, value, ScoreDataType.Categorical, reason,
            new Dictionary<string, object?> { ["categories"] = categories.ToArray() });
    }

    /// <summary>
    /// Records free-text feedback. The platform has no text score type, so it is sent as a CATEGORICAL score whose value
    /// is the text, with <c>feedback_type: "text"</c> in its metadata.
    /// </summary>
    /// <param name="value">The user's comment (1–255 characters).</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    public void LogTextFeedback(string value, Guid? traceId = null, string name = "text_feedback") =>
        Submit(traceId, name, value, ScoreDataType.Categorical, null, new Dictionary<string, object?> { ["feedback_type"] = "text" });

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    bool InUnitRange(double value, string what)
    {
        if (double.IsFinite(value) && value is >= 0d and <= 1d) return true;
        if (IsEnabled) Refuse($"{what}: a NUMERIC value must lie in [0, 1] (the platform refuses others); got {value.ToString(CultureInfo.InvariantCulture)}");
        return false;
    }

    /// <summary>The one way a score is recorded: checked against the platform's rules, refused and counted when it breaks one.</summary>
    void Submit(Guid? traceId, string name, string value, ScoreDataType type, string? reason, IReadOnlyDictionary<string, object?>? metadata)
    {
        if (!IsEnabled) return;
        if (string.IsNullOrWhiteSpace(name) || name.Length > ClientLimits.MaxScoreText)
        {
            Refuse($"a score name must have 1 to {ClientLimits.MaxScoreText} characters; got '{name}'");
            return;
        }
        if (string.IsNullOrEmpty(value) || value.Length > ClientLimits.MaxScoreText)
        {
            Refuse($"score '{name}': its value must have 1 to {ClientLimits.MaxScoreText} characters");
            return;
        }
        var target = traceId is { } given && given != Guid.Empty
            ? new Model.TraceId(given)
            : AmbientScope.InnermostTrace() is { IsRecording: true } current ? current.Id : (Model.TraceId?)null;
        if (target is not { } id)
        {
            Refuse($"score '{name}' has no trace: pass a trace id or record it inside a trace");
            return;
        }
        var score = new Score(id, name, value, type, reason,
            metadata is null ? default : CaptureMap(metadata));
        Record(new ScoreRecorded(id, score, Now()));
    }
}
