using System.Globalization;
using PandaProbe.Diagnostics;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>Scores, delivery errors and delivery health.</summary>
public sealed partial class PandaProbeClient
{
    /// <summary>
    /// Records a NUMERIC score for a trace (sent to <c>POST /evaluations/trace-scores</c> with source
    /// <c>PROGRAMMATIC</c>, after the traces recorded before it). A score racing its trace's ingestion is retried.
    /// </summary>
    /// <param name="traceId">The scored trace (for example <see cref="TraceContext.TraceId"/>).</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="value">The value, in [0, 1] as the platform requires.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name is empty or too long, or the value is outside [0, 1].</exception>
    public void Score(Guid traceId, string name, double value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null)
    {
        if (!double.IsFinite(value) || value is < 0d or > 1d)
            throw new ArgumentException($"A NUMERIC score must lie in [0, 1] (the platform refuses other values); got {value}.", nameof(value));
        RecordScore(traceId, name, value.ToString("R", CultureInfo.InvariantCulture), ScoreDataType.Numeric, reason, metadata);
    }

    /// <summary>Records a BOOLEAN score for a trace. See <see cref="Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="value">The value.</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name is empty or too long.</exception>
    public void Score(Guid traceId, string name, bool value, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null) =>
        RecordScore(traceId, name, value ? "true" : "false", ScoreDataType.Boolean, reason, metadata);

    /// <summary>Records a CATEGORICAL score (a label) for a trace. See <see cref="Score(Guid, string, double, string?, IReadOnlyDictionary{string, object?}?)"/>.</summary>
    /// <param name="traceId">The scored trace.</param>
    /// <param name="name">The metric name (1–255 characters).</param>
    /// <param name="category">The label (1–255 characters).</param>
    /// <param name="reason">An optional explanation.</param>
    /// <param name="metadata">Optional extra data.</param>
    /// <exception cref="ArgumentException">The name or the label is empty or too long.</exception>
    public void Score(Guid traceId, string name, string category, string? reason = null, IReadOnlyDictionary<string, object?>? metadata = null)
    {
        if (string.IsNullOrEmpty(category) || category.Length > Model.Delivery.ClientLimits.MaxScoreText)
            throw new ArgumentException($"A CATEGORICAL score needs a label of 1 to {Model.Delivery.ClientLimits.MaxScoreText} characters.", nameof(category));
        RecordScore(traceId, name, category, ScoreDataType.Categorical, reason, metadata);
    }

    /// <summary>
    /// Adds a callback that receives a <see cref="PandaProbeDeliveryException"/> for every item the platform exporter
    /// gave up on. Exceptions thrown by the callback are swallowed. Does nothing when the client does not send to
    /// the platform.
    /// </summary>
    /// <param name="handler">The callback.</param>
    public void OnError(Action<Exception> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        foreach (var exporter in PlatformExporters) exporter.AddErrorHandler(handler);
    }

    /// <summary><c>true</c> when this client delivers to the PandaProbe platform.</summary>
    public bool SendsToPlatform => PlatformExporters.Any();

    IEnumerable<HttpTraceExporter> PlatformExporters =>
        pipeline is null || setup is null ? [] : setup.Exporters.OfType<HttpTraceExporter>();

    void RecordScore(Guid traceId, string name, string value, ScoreDataType type, string? reason, IReadOnlyDictionary<string, object?>? metadata)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > Model.Delivery.ClientLimits.MaxScoreText)
            throw new ArgumentException($"A score name must have 1 to {Model.Delivery.ClientLimits.MaxScoreText} characters.", nameof(name));
        if (pipeline is null) return;
        var id = new Model.TraceId(traceId);
        var score = new Score(id, name, value, type,
            reason is null ? LanguageExt.Option<string>.None : reason,
            metadata is null ? default : CaptureMap(metadata));
        Record(new ScoreRecorded(id, score, Now()));
    }
}
