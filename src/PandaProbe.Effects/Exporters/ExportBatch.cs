namespace PandaProbe.Exporters;

/// <summary>
/// What the pipeline hands an exporter in one call: completed traces, spans that ended after their trace had
/// completed (late spans), and scores, each in the order they were produced. Exporters must not change it: the
/// same batch may go to several exporters.
/// </summary>
/// <param name="Traces">Completed traces, each with the spans that ended before it.</param>
/// <param name="LateSpans">Spans that ended after their trace completed; <see cref="Span.Trace"/> names the trace.</param>
/// <param name="Scores">Scores to attach to traces.</param>
public sealed record ExportBatch(IReadOnlyList<Trace> Traces, IReadOnlyList<Span> LateSpans, IReadOnlyList<Score> Scores)
{
    /// <summary>A batch with nothing in it.</summary>
    public static ExportBatch Empty { get; } = new([], [], []);

    /// <summary>How many items (traces, late spans and scores) the batch holds.</summary>
    public int Count => Traces.Count + LateSpans.Count + Scores.Count;

    /// <summary>A batch holding only traces.</summary>
    public static ExportBatch Of(params Trace[] traces) => new(traces, [], []);
}
