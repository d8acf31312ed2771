using System.Globalization;
using PandaProbe.Ambient;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

public sealed partial class PandaProbeClient
{
    /// <summary>
    /// Records thumbs-up/down style feedback as a BOOLEAN trace score (<c>"true"</c>/<c>"false"</c>), named
    /// <paramref name="name"/>. The trace is <paramref name="traceId"/>, or the current trace of this flow; with neither,
    /// nothing is recorded (reported to <see cref="SelfLog"/>).
    /// </summary>
    /// <param name="value"><c>true</c> for positive feedback.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public void LogBinaryFeedback(bool value, Guid? traceId = null, string name = "binary_feedback", string? reason = null) =>
        Feedback(traceId, name, value ? "true" : "false", ScoreDataType.Boolean, reason, null);

    /// <summary>
    /// Records a rating between 0 and 1 (inclusive) as a NUMERIC trace score; a value outside that range (or not
    /// finite) is refused and counted, not thrown.
    /// </summary>
    /// <param name="value">The rating, 0 to 1.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    /// <param name="reason">An optional comment.</param>
    public void LogNumericFeedback(double value, Guid? traceId = null, string name = "numeric_feedback", string? reason = null)
    {
        if (!double.IsFinite(value) || value < 0 || value > 1)
        {
            if (IsEnabled) Refuse($"numeric feedback must be between 0 and 1, got {value}");
            return;
        }
        Feedback(traceId, name, value.ToString("R", CultureInfo.InvariantCulture), ScoreDataType.Numeric, reason, null);
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
            if (IsEnabled) Refuse($"categorical feedback '{value}' is not one of its categories");
            return;
        }
        Feedback(traceId, name, value, ScoreDataType.Categorical,
            reason, new Dictionary<string, object?> { ["categories"] = categories.ToArray() });
    }

    /// <summary>
    /// Records free-text feedback. The platform has no text score type, so it is sent as a CATEGORICAL score whose value
    /// is the text, with <c>feedback_type: "text"</c> in its metadata.
    /// </summary>
    /// <param name="value">The user's comment.</param>
    /// <param name="traceId">The trace to score; <c>null</c> for the current trace.</param>
    /// <param name="name">The score name.</param>
    public void LogTextFeedback(string value, Guid? traceId = null, string name = "text_feedback") =>
        Feedback(traceId, name, value ?? string.Empty, ScoreDataType.Categorical, null,
            new Dictionary<string, object?> { ["feedback_type"] = "text" });

    void Feedback(Guid? traceId, string name, string value, ScoreDataType type, string? reason,
        IReadOnlyDictionary<string, object?>? metadata)
    {
        if (!IsEnabled) return;
        var target = traceId is { } given && given != Guid.Empty
            ? new Model.TraceId(given)
            : AmbientScope.InnermostTrace() is { IsRecording: true } current ? current.Id : (Model.TraceId?)null;
        if (target is not { } tid)
        {
            Refuse($"feedback '{name}' has no trace: pass a trace id or record it inside a trace");
            return;
        }
        var score = new Score(tid, string.IsNullOrWhiteSpace(name) ? "feedback" : name, value, type,
            reason is null ? LanguageExt.Prelude.None : LanguageExt.Prelude.Some(reason),
            metadata is null ? default : CaptureMap(metadata));
        Record(new ScoreRecorded(tid, score, Now()));
    }
}
