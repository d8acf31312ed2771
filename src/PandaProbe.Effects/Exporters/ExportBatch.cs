namespace PandaProbe.Exporters;

/// <summary>
/// What the pipeline hands an exporter in one call: completed traces, spans that ended after their trace had
/// completed (late spans), and scores, each in the order they were produced. Exporters must not change it: the
/// same batch may go to several exporters.
/// </summary>
/// <param name="Traces">Completed traces, each with the spans that ended before it.</param>
/// <param name="LateSpans">Spans that ended after their trace completed; <see cref="Span.Trace"/> names the trace.</param>
/// <param name="Scores">Scores to attach to traces.</param>
public sealed record ExportBatch(IReadOnlyList<TraceRecord> Traces, IReadOnlyList<Span> LateSpans, IReadOnlyList<Score> Scores)
{
    /// <summary>A batch with nothing in it.</summary>
    public static ExportBatch Empty { get; } = new([], [], []);

    /// <summary>How many items (traces, late spans and scores) the batch holds.</summary>
    public int Count => Traces.Count + LateSpans.Count + Scores.Count;

    /// <summary>
    /// Live mode (<c>PandaProbeOptions.LiveMode</c>) only: traces that have just started, as they started (status
    /// RUNNING, no spans), for exporters that show traces while they run (the platform's). Progress, not items: not in
    /// <see cref="Count"/>, never retried or spooled, and superseded by the completed trace. Other exporters ignore it.
    /// </summary>
    public IReadOnlyList<TraceRecord> Running { get; init; } = [];

    /// <summary>
    /// Live mode only: spans that ended while their trace was still open (<see cref="Span.Trace"/> names it), sent as
    /// they end; the completed trace carries them again (the platform upserts spans by id). Progress, like
    /// <see cref="Running"/>.
    /// </summary>
    public IReadOnlyList<Span> Progress { get; init; } = [];

    /// <summary>A batch holding only traces.</summary>
    public static ExportBatch Of(params TraceRecord[] traces) => new(traces, [], []);
}
