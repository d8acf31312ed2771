namespace PandaProbe.Model;

/// <summary>
/// The fold's view of one trace that has not finished: the trace value (holding its ended spans) and the spans that
/// are still open. A trace that has ended while spans were open stays here until they end (they are late spans).
/// </summary>
/// <param name="Trace">The trace value.</param>
/// <param name="OpenSpans">The spans that have started and not ended.</param>
/// <param name="EndedSpans">The ids of spans that have ended (so a restarted id is refused in O(log n)).</param>
public sealed record OpenTrace(Trace Trace, HashMap<SpanId, Span> OpenSpans, LanguageExt.HashSet<SpanId> EndedSpans);
