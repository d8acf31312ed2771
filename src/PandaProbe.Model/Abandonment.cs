namespace PandaProbe.Model;

/// <summary>
/// What becomes of a trace nobody ended (a forgotten <c>Dispose</c>, an agent that hung): after a set time without any
/// event it is closed, marked and exported, so open traces cannot pile up and what they recorded is not lost. Pure:
/// the decision and the closing events; the shell keeps the list of open traces and calls these on its own thread.
/// </summary>
internal static class Abandonment
{
    /// <summary>The metadata key an abandoned trace and its open spans are marked with (the idle seconds).</summary>
    public const string MetadataKey = "pandaprobe_abandoned_after_s";

    /// <summary>The error message of an abandoned trace and of each span that was open in it.</summary>
    public static string Message(TimeSpan idle) =>
        $"abandoned: no event for {idle.TotalSeconds:0} s, so the SDK closed it (was it disposed?)";

    /// <summary>
    /// Whether a trace that had folded <paramref name="seenVersion"/> events when last looked at, at
    /// <paramref name="idleSince"/>, and has folded <paramref name="version"/> now, has been idle long enough to close.
    /// </summary>
    public static bool IsIdle(int seenVersion, int version, DateTimeOffset idleSince, DateTimeOffset now, TimeSpan after) =>
        seenVersion == version && now - idleSince >= after;

    /// <summary>
    /// The events that close an abandoned trace at <paramref name="at"/>: each open span gets the error and the mark
    /// and ends; then the trace gets them and ends (when it has not ended already).
    /// </summary>
    internal static IEnumerable<TraceEvent> Close(OpenTrace trace, DateTimeOffset at, TimeSpan idle)
    {
        var error = ErrorInfo.Of(Message(idle));
        var mark = Map<string, Payload>().Add(MetadataKey, Payload.Json(((long)idle.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var id = trace.Head.Id;
        foreach (var span in trace.OpenSpans.Keys.ToList())
        {
            yield return new TraceEvent.MetadataMerged(id, span, mark, at);
            yield return new TraceEvent.Errored(id, span, error, at);
            yield return new TraceEvent.SpanEnded(id, span, at);
        }
        if (!trace.IsOpen) yield break;
        yield return new TraceEvent.MetadataMerged(id, null, mark, at);
        yield return new TraceEvent.Errored(id, null, error, at);
        yield return new TraceEvent.TraceEnded(id, at);
    }
}
