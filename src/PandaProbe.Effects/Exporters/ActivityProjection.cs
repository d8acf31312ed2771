using System.Diagnostics;
using System.Globalization;
using PandaProbe.Serialization;
using PandaProbe.Model;

namespace PandaProbe.Exporters;

/// <summary>
/// The one projection of PandaProbe's traces and spans onto OpenTelemetry activities, shared by the live activities
/// (started and stopped with each span on the caller's thread) and the replay of completed traces
/// (<see cref="ActivityTraceExporter"/>). It writes the OpenTelemetry GenAI semantic conventions of
/// <see cref="SchemaUrl"/> where a name exists (<c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>,
/// <c>gen_ai.response.model</c>, <c>gen_ai.usage.input_tokens</c>, <c>gen_ai.usage.output_tokens</c>,
/// <c>gen_ai.conversation.id</c>, <c>gen_ai.tool.name</c>, <c>gen_ai.agent.name</c>, numeric
/// <c>gen_ai.request.*</c> parameters) and the <c>pandaprobe.</c> prefix otherwise.
/// </summary>
internal static class ActivityProjection
{
    /// <summary>The semantic conventions version the tags follow, stamped on the activity sources.</summary>
    public const string SchemaUrl = "https://opentelemetry.io/schemas/1.41.0";

    static readonly string[] NumericModelParameters =
        ["temperature", "top_p", "top_k", "max_tokens", "frequency_penalty", "presence_penalty", "seed"];

    /// <summary>A source stamped with <see cref="SchemaUrl"/> and the SDK's version.</summary>
    public static ActivitySource NewSource(string name) => new(new ActivitySourceOptions(name)
    {
        Version = typeof(ActivityProjection).Assembly.GetName().Version?.ToString(),
        TelemetrySchemaUrl = SchemaUrl,
    });

    /// <summary>LLM spans are client calls; everything else is internal work.</summary>
    public static ActivityKind KindOf(SpanType kind) => kind == SpanType.Llm ? ActivityKind.Client : ActivityKind.Internal;

    /// <summary>The <c>gen_ai.operation.name</c> of a span kind, when the conventions name one.</summary>
    public static string? Operation(SpanType kind) => kind switch
    {
        SpanType.Llm => "chat",
        SpanType.Tool => "execute_tool",
        SpanType.Embedding => "embeddings",
        SpanType.Agent => "invoke_agent",
        _ => null,
    };

    /// <summary>A trace's tags; input and output cut to <paramref name="maxPayload"/> characters (0: none).</summary>
    public static List<KeyValuePair<string, object?>> TraceTags(TraceRecord trace, int maxPayload)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new("pandaprobe.trace_id", trace.Id.ToString()),
            new("pandaprobe.trace.status", WireJson.Name(trace.Status)),
        };
        if (trace.SessionId is { } s)
        {
            tags.Add(new("pandaprobe.session_id", s));
            tags.Add(new("gen_ai.conversation.id", s));
        }
        if (trace.UserId is { } u) tags.Add(new("pandaprobe.user_id", u));
        if (trace.Environment is { } environment) tags.Add(new("pandaprobe.environment", environment));
        if (trace.Release is { } release) tags.Add(new("pandaprobe.release", release));
        if (!trace.Tags.IsEmpty) tags.Add(new("pandaprobe.tags", trace.Tags.Where(t => t is not null).ToArray()));
        if (trace.ParentTrace is { } parent) tags.Add(new("pandaprobe.parent_trace_id", parent.ToString()));
        if (trace.ContinuationSpan is { } continuation) tags.Add(new("pandaprobe.span_id", continuation.ToString()));
        AddPayloads(tags, trace.Input, trace.Output, maxPayload);
        return tags;
    }

    /// <summary>A span's tags; input and output cut to <paramref name="maxPayload"/> characters (0: none).</summary>
    public static List<KeyValuePair<string, object?>> SpanTags(Span span, int maxPayload)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new("pandaprobe.trace_id", span.Trace.ToString()),
            new("pandaprobe.span_id", span.Id.ToString()),
            new("pandaprobe.span.kind", WireJson.Name(span.Kind)),
            new("pandaprobe.span.status", WireJson.Name(span.Status)),
        };
        if (span.Parent is { } parent) tags.Add(new("pandaprobe.parent_span_id", parent.ToString()));
        if (Operation(span.Kind) is { } operation) tags.Add(new("gen_ai.operation.name", operation));
        if (span.Kind == SpanType.Tool) tags.Add(new("gen_ai.tool.name", span.Name));
        if (span.Kind == SpanType.Agent) tags.Add(new("gen_ai.agent.name", span.Name));
        if (span.Model is { } model)
        {
            // The span's model is the one that answered; the requested one, when it differed, is in the metadata.
            var requested = span.Metadata.Find("gen_ai.request.model").Bind(static p => p.IsText ? Some(p.Value) : None);
            tags.Add(new("gen_ai.request.model", requested.IfNone(model)));
            tags.Add(new("gen_ai.response.model", model));
        }
        if (span.Tokens is { } tokens)
        {
            if (tokens.Counts.ContainsKey(TokenUsage.PromptKey)) tags.Add(new("gen_ai.usage.input_tokens", tokens.Prompt));
            if (tokens.Counts.ContainsKey(TokenUsage.CompletionKey)) tags.Add(new("gen_ai.usage.output_tokens", tokens.Completion));
            tags.Add(new("pandaprobe.usage.total_tokens", tokens.Total));
        }
        if (span.Cost is { } cost && cost.Components.ContainsKey(Cost.TotalKey))
            tags.Add(new("pandaprobe.cost.total", cost.Total));
        if (span.ModelParameters is { } parameters)
            foreach (var name in NumericModelParameters)
                if (parameters.Find(name).TryGet(out var value) && Number(value) is { } number)
                    tags.Add(new("gen_ai.request." + name, number));
        if (span.CompletionStartTime is { } first)
            tags.Add(new("pandaprobe.completion_start_time", WireJson.Timestamp(first)));
        AddPayloads(tags, span.Input, span.Output, maxPayload);
        return tags;
    }

    /// <summary>
    /// A trace's log lines and error on its activity; without <paramref name="errorText"/> (live activities, whose
    /// values are not redacted) the error's type is kept and its message left out.
    /// </summary>
    public static void AddEvents(Activity activity, TraceRecord trace, int maxPayload, bool errorText = true) =>
        AddEvents(activity, trace.Logs, trace.Status == TraceStatus.Error, trace.Error, trace.EndedAt ?? trace.StartedAt, maxPayload, errorText);

    /// <summary>A span's log lines and error on its activity (see the trace's overload for <paramref name="errorText"/>).</summary>
    public static void AddEvents(Activity activity, Span span, int maxPayload, bool errorText = true) =>
        AddEvents(activity, span.Logs, span.Status == SpanStatus.Error, span.Error, span.EndedAt ?? span.StartedAt, maxPayload, errorText);

    static void AddEvents(Activity activity, Seq<LogEntry> logs, bool failed, ErrorInfo? error, DateTimeOffset at, int maxPayload, bool errorText)
    {
        foreach (var log in logs) AddLog(activity, log, maxPayload);
        if (!failed && error is null) return;
        activity.SetStatus(ActivityStatusCode.Error, errorText && error is { } e ? e.Message : "error");
        if (error is not null) AddException(activity, error, at, errorText);
    }

    static void AddPayloads(List<KeyValuePair<string, object?>> tags, Payload? input, Payload? output, int maxPayload)
    {
        if (maxPayload == 0) return;
        if (input is { } i) tags.Add(new("pandaprobe.input", Cut(i.ToJson(), maxPayload)));
        if (output is { } o) tags.Add(new("pandaprobe.output", Cut(o.ToJson(), maxPayload)));
    }

    static void AddLog(Activity activity, LogEntry? log, int maxPayload)
    {
        if (log is null) return;
        var tags = new ActivityTagsCollection();
        if (maxPayload > 0) tags["pandaprobe.log.data"] = Cut((log.Data ?? Payload.Null).ToJson(), maxPayload);
        activity.AddEvent(new ActivityEvent("log", log.At, tags));
    }

    static void AddException(Activity activity, ErrorInfo error, DateTimeOffset at, bool errorText)
    {
        var tags = new ActivityTagsCollection();
        if (errorText) tags["exception.message"] = error.Message ?? string.Empty;
        if (error.Type is { } type) tags["exception.type"] = type;
        activity.AddEvent(new ActivityEvent("exception", at, tags));
    }

    static double? Number(Payload payload)
    {
        if (payload.IsText) return null;
        return double.TryParse(payload.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : null;
    }

    static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        if (max > Limits.TruncationMarker.Length) return Limits.Truncate(text, max);
        var keep = max;
        if (char.IsHighSurrogate(text[keep - 1])) keep--;
        return text[..keep];
    }
}
