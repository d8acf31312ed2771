namespace PandaProbe.Model.Delivery;

/// <summary>
/// How a trace that continues another process's trace (<see cref="TraceRecord.ContinuationSpan"/>) reaches the platform:
/// not as a trace (its upsert would overwrite the upstream trace's name, status and start) but as spans added to the
/// upstream trace, the first of them standing for the trace itself.
/// </summary>
internal static class Continuation
{
    /// <summary>
    /// The span that stands for <paramref name="trace"/> in the trace it continues: its name, input, output, metadata
    /// (with its session, user, tags, environment and release, which a span has no field for), error, logs and times,
    /// under the calling span; its status is the trace's (ERROR stays ERROR, a clean end is OK).
    /// </summary>
    public static Span StandIn(TraceRecord trace)
    {
        var metadata = trace.Metadata;
        if (trace.SessionId is { } session) metadata = metadata.AddOrUpdate("session_id", Payload.Text(session));
        if (trace.UserId is { } user) metadata = metadata.AddOrUpdate("user_id", Payload.Text(user));
        if (!trace.Tags.IsEmpty) metadata = metadata.AddOrUpdate("tags", Payload.Json("[" + string.Join(",", trace.Tags.Where(static t => t is not null).Select(JsonText.Quote)) + "]"));
        if (trace.Environment is { } environment) metadata = metadata.AddOrUpdate("environment", Payload.Text(environment));
        if (trace.Release is { } release) metadata = metadata.AddOrUpdate("release", Payload.Text(release));
        return new Span
        {
            Id = trace.ContinuationSpan ?? default,
            Trace = trace.Id,
            Parent = trace.ContinuationParent,
            Name = trace.Name,
            Kind = SpanType.Chain,
            Status = trace.Status switch
            {
                TraceStatus.Error => SpanStatus.Error,
                TraceStatus.Completed => SpanStatus.Ok,
                _ => SpanStatus.Unset,
            },
            StartedAt = trace.StartedAt,
            EndedAt = trace.EndedAt,
            Input = trace.Input,
            Output = trace.Output,
            Error = trace.Error,
            Metadata = metadata,
            Params = trace.Params,
            Logs = trace.Logs,
        };
    }
}
