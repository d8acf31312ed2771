namespace PandaProbe.Messages;

/// <summary>
/// The warn-only check of the messages convention (<see cref="MessagesFormat"/>) on a completed trace: the trace's
/// input and output and the input and output of its LLM spans. Values are never changed and nothing is thrown; each
/// non-conforming value produces one warning. The pipeline runs it on its own thread when a trace completes, never on
/// the caller's thread.
/// </summary>
internal static class MessagesFormatCheck
{
    /// <summary>
    /// Checks <paramref name="trace"/> and calls <paramref name="warn"/> once per non-conforming value with a sentence
    /// naming the value (<c>trace input</c>, <c>trace output</c>, <c>LLM span input</c>, <c>LLM span output</c>) and
    /// its first problem. Values that are not set are not checked. Never throws (a throwing
    /// <paramref name="warn"/> is ignored).
    /// </summary>
    /// <param name="trace">A completed trace.</param>
    /// <param name="warn">Receives each warning.</param>
    /// <returns>The number of warnings issued.</returns>
    public static int Check(TraceRecord trace, Action<string> warn)
    {
        if (trace is null || warn is null) return 0;
        var count = 0;
        try
        {
            if (trace.Input is not null || trace.Output is not null)
            {
                count += CheckValue(trace.Input, "trace input", trace, warn);
                count += CheckValue(trace.Output, "trace output", trace, warn);
            }
            var spans = trace.Spans;
            for (var i = 0; i < spans.Count; i++)   // indexed: no enumerator per trace
                count += CheckSpan(spans[i], warn);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"the messages-convention check failed: {ex.Message}");
        }
        return count;
    }

    /// <summary>
    /// Checks one span (only LLM spans are checked) and calls <paramref name="warn"/> once per non-conforming value.
    /// Never throws.
    /// </summary>
    /// <param name="span">A span.</param>
    /// <param name="warn">Receives each warning.</param>
    /// <returns>The number of warnings issued.</returns>
    public static int CheckSpan(Span span, Action<string> warn)
    {
        if (span is null || warn is null || span.Kind != SpanType.Llm || span.Input is null && span.Output is null) return 0;
        try
        {
            return CheckValue(span.Input, "LLM span input", span, warn)
                + CheckValue(span.Output, "LLM span output", span, warn);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"the messages-convention check failed: {ex.Message}");
            return 0;
        }
    }

    /// <summary>Checks one value of <paramref name="owner"/> (a trace or a span, named in the warning only when there is one).</summary>
    static int CheckValue(Payload? value, string label, object owner, Action<string> warn)
    {
        if (value is not { } payload) return 0;
        var problems = MessagesFormat.Validate(payload, label);
        if (problems.Count == 0) return 0;
        var where = owner switch
        {
            Span span => $"span '{span.Name}' ({span.Id}) of trace {span.Trace}",
            TraceRecord trace => $"trace '{trace.Name}' ({trace.Id})",
            _ => "a value",
        };
        var more = problems.Count > 1 ? $" (and {problems.Count - 1} more problem{(problems.Count > 2 ? "s" : "")})" : "";
        try { warn($"{where}: the {label} does not follow the messages convention and is stored as-is: {problems[0]}{more}"); }
        catch (Exception) { /* a failing warning sink must not matter */ }
        return 1;
    }
}
