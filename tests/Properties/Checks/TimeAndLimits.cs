namespace PandaProbe.Properties.Checks;

/// <summary>
/// Per-value rules: no value ends before it starts (<see cref="TimeOfSpan"/>, <see cref="TimeOfTrace"/>: what the
/// reducer keeps), and, once enriched, names and short texts fit the platform's limits (<see cref="OfSpan"/>,
/// <see cref="OfTrace"/>: what every consumer sees).
/// </summary>
internal static class TimeAndLimits
{
    /// <summary>The time violations of one span.</summary>
    public static IEnumerable<string> TimeOfSpan(Span span)
    {
        if (span.EndedAt is { } end)
        {
            if (end < span.StartedAt) yield return $"ended at {end:o}, before it started at {span.StartedAt:o}";
            if (span.Status == SpanStatus.Unset) yield return "ended with status UNSET";
        }
    }

    /// <summary>The time violations of one trace (its ended spans included).</summary>
    public static IEnumerable<string> TimeOfTrace(TraceRecord trace)
    {
        if (trace.EndedAt is { } end && end < trace.StartedAt)
            yield return $"ended at {end:o}, before it started at {trace.StartedAt:o}";
        foreach (var span in trace.Spans)
            foreach (var v in TimeOfSpan(span)) yield return $"span {span.Id}: {v}";
    }

    /// <summary>The violations of one span.</summary>
    public static IEnumerable<string> OfSpan(Span span)
    {
        foreach (var v in TimeOfSpan(span)) yield return v;
        foreach (var v in Name(span.Name)) yield return v;
        if (span.Model is { } model && model.Length > Limits.MaxShortTextLength) yield return $"model has {model.Length} characters";
    }

    /// <summary>The violations of one trace (its ended spans included).</summary>
    public static IEnumerable<string> OfTrace(TraceRecord trace)
    {
        if (trace.EndedAt is { } end && end < trace.StartedAt)
            yield return $"ended at {end:o}, before it started at {trace.StartedAt:o}";
        foreach (var v in Name(trace.Name)) yield return v;
        foreach (var (field, value) in new[] { ("session_id", trace.SessionId), ("user_id", trace.UserId), ("environment", trace.Environment), ("release", trace.Release) })
            if (value is { } text && text.Length > Limits.MaxShortTextLength)
                yield return $"{field} has {text.Length} characters";
        foreach (var span in trace.Spans)
            foreach (var v in OfSpan(span)) yield return $"span {span.Id}: {v}";
    }

    /// <summary>The violations of a name: it must have 1 to 512 characters and not be blank.</summary>
    public static IEnumerable<string> Name(string name)
    {
        if (name is null) yield return "name is null";
        else if (name.Length is < 1 or > Limits.MaxNameLength) yield return $"name has {name.Length} characters";
        else if (string.IsNullOrWhiteSpace(name)) yield return "name is blank";
    }
}
