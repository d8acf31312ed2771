using System.Diagnostics;
using System.Globalization;
using PandaProbe.Serialization;
using Trace = PandaProbe.Model.Trace;

namespace PandaProbe.Exporters;

/// <summary>
/// Ships completed traces to OpenTelemetry by replaying them through the <see cref="ActivitySource"/> named
/// <see cref="SourceName"/> (in .NET, <see cref="Activity"/> is OpenTelemetry's span): register the source with
/// <c>AddSource("PandaProbe")</c> on a tracer provider and its exporters receive one root activity per trace and one
/// child activity per span, with their original start and end times.
/// </summary>
/// <remarks>
/// <para>
/// Activity ids cannot be chosen, so each trace gets fresh W3C ids: parents are created before their children and
/// every span is linked to the activity created for its parent. The PandaProbe ids travel as the tags
/// <c>pandaprobe.trace_id</c>, <c>pandaprobe.span_id</c> and <c>pandaprobe.parent_span_id</c>. A span whose parent
/// is not in the trace hangs under the trace's root activity. Late spans (ended after their trace was exported) are
/// parented to the activities replayed earlier for the same trace, remembered for the last
/// <see cref="RememberedTraces"/> traces; a late span of a forgotten trace becomes a root activity of its own.
/// </para>
/// <para>
/// Tags follow the OpenTelemetry GenAI semantic conventions where one exists (<c>gen_ai.operation.name</c>,
/// <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>, <c>gen_ai.usage.input_tokens</c>,
/// <c>gen_ai.usage.output_tokens</c>, <c>gen_ai.conversation.id</c>, <c>gen_ai.tool.name</c>,
/// <c>gen_ai.agent.name</c>, numeric <c>gen_ai.request.*</c> model parameters) and use the <c>pandaprobe.</c>
/// prefix otherwise (kind, status, cost, session, user, input and output JSON cut to
/// <see cref="MaxPayloadLength"/> characters). LLM spans are <see cref="ActivityKind.Client"/>, everything else
/// <see cref="ActivityKind.Internal"/>. An error becomes <see cref="ActivityStatusCode.Error"/> with its message and
/// an <c>exception</c> event; log lines become <c>log</c> events. Scores have no OpenTelemetry counterpart and are
/// counted as exported without being replayed.
/// </para>
/// <para>
/// <see cref="Activity.Stop"/> treats a zero duration as "not ended", so a span that lasted no time at all is given
/// one tick (100 ns). The exporter stops every activity it starts, restores <see cref="Activity.Current"/> after each
/// export, costs almost nothing when nobody listens to the source, and never throws.
/// </para>
/// </remarks>
public sealed class ActivityTraceExporter : ITraceExporter
{
    /// <summary>The name of the activity source the traces are replayed through.</summary>
    public const string SourceName = "PandaProbe";

    /// <summary>The default longest input or output text recorded as a tag.</summary>
    public const int DefaultMaxPayloadLength = 4096;

    /// <summary>How many traces the exporter remembers to parent late spans correctly.</summary>
    public const int RememberedTraces = 1024;

    static readonly ActivitySource Source = new(SourceName, typeof(ActivityTraceExporter).Assembly.GetName().Version?.ToString());

    static readonly string[] NumericModelParameters =
        ["temperature", "top_p", "top_k", "max_tokens", "frequency_penalty", "presence_penalty", "seed"];

    readonly object gate = new();
    readonly Dictionary<TraceId, Replayed> replayed = [];
    readonly Queue<TraceId> replayOrder = new();

    /// <summary>Creates an exporter.</summary>
    /// <param name="maxPayloadLength">
    /// The longest input or output JSON text recorded (longer texts are cut and end with
    /// <see cref="Limits.TruncationMarker"/>); 0 records no input or output at all. Default 4096.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPayloadLength"/> is negative.</exception>
    public ActivityTraceExporter(int maxPayloadLength = DefaultMaxPayloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadLength);
        MaxPayloadLength = maxPayloadLength;
    }

    /// <summary>The longest input or output text recorded as a tag (0: none recorded).</summary>
    public int MaxPayloadLength { get; }

    /// <inheritdoc />
    public string Name => "opentelemetry";

    /// <inheritdoc />
    public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        if (batch is null || batch.Count == 0) return ValueTask.FromResult(ExportResult.Success(0));
        if (!Source.HasListeners()) return ValueTask.FromResult(ExportResult.Success(batch.Count));
        var previous = Activity.Current;
        int exported = 0, failed = 0;
        string? error = null;
        try
        {
            foreach (var trace in batch.Traces)
            {
                if (trace is null) continue;
                if (!cancellationToken.IsCancellationRequested && Try(() => ReplayTrace(trace), ref error)) exported++;
                else failed++;
            }
            foreach (var late in batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace))
            {
                var spans = late.ToList();
                if (!cancellationToken.IsCancellationRequested && Try(() => ReplayLate(late.Key, spans), ref error)) exported += spans.Count;
                else failed += spans.Count;
            }
            if (cancellationToken.IsCancellationRequested && failed > 0) error ??= "the export was cancelled before every item was replayed";
            exported += batch.Scores.Count(s => s is not null);
        }
        finally
        {
            Activity.Current = previous;
        }
        return ValueTask.FromResult(new ExportResult(exported, failed, error));
    }

    static bool Try(Action replay, ref string? error)
    {
        try
        {
            replay();
            return true;
        }
        catch (Exception ex)
        {
            error ??= $"could not replay through the activity source: {ex.Message}";
            SelfLog.Write($"ActivityTraceExporter: {ex}");
            return false;
        }
    }

    void ReplayTrace(Trace trace)
    {
        // A root activity: nothing ambient may become its parent.
        Activity.Current = null;
        var root = Source.StartActivity(trace.Name, ActivityKind.Internal, default(ActivityContext),
            TraceTags(trace), links: null, trace.StartedAt);
        if (root is null) return; // sampled out: its spans go nowhere either
        var contexts = new Dictionary<SpanId, ActivityContext>();
        try
        {
            foreach (var span in ParentsFirst(trace.Spans))
            {
                var parent = span.Parent is { } p && contexts.TryGetValue(p, out var c) ? c : root.Context;
                if (ReplaySpan(span, parent) is { } created) contexts[span.Id] = created;
            }
            foreach (var log in trace.Logs) AddLog(root, log);
            if (trace.Status == TraceStatus.Error || trace.Error is not null)
            {
                var message = trace.Error is { } e ? e.Message : "error";
                root.SetStatus(ActivityStatusCode.Error, message);
                if (trace.Error is { } info) AddException(root, info, trace.EndedAt ?? trace.StartedAt);
            }
        }
        finally
        {
            Stop(root, trace.StartedAt, trace.EndedAt);
            Remember(trace.Id, new Replayed(root.Context, contexts));
        }
    }

    void ReplayLate(TraceId trace, List<Span> spans)
    {
        Replayed? known;
        lock (gate) known = replayed.GetValueOrDefault(trace);
        var contexts = known is null ? [] : new Dictionary<SpanId, ActivityContext>(known.Spans);
        foreach (var span in ParentsFirst(spans))
        {
            Activity.Current = null;
            ActivityContext parent =
                span.Parent is { } p && contexts.TryGetValue(p, out var c) ? c
                : known is not null ? known.Root
                : default;
            if (ReplaySpan(span, parent) is { } created) contexts[span.Id] = created;
        }
        Remember(trace, new Replayed(known?.Root ?? default, contexts));
    }

    ActivityContext? ReplaySpan(Span span, ActivityContext parent)
    {
        var kind = span.Kind == SpanKind.Llm ? ActivityKind.Client : ActivityKind.Internal;
        var activity = Source.StartActivity(span.Name, kind, parent, SpanTags(span), links: null, span.StartedAt);
        if (activity is null) return null;
        try
        {
            foreach (var log in span.Logs) AddLog(activity, log);
            if (span.Status == SpanStatus.Error || span.Error is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, span.Error is { } e ? e.Message : "error");
                if (span.Error is { } info) AddException(activity, info, span.EndedAt ?? span.StartedAt);
            }
        }
        finally
        {
            Stop(activity, span.StartedAt, span.EndedAt);
        }
        return activity.Context;
    }

    static void Stop(Activity activity, DateTimeOffset started, DateTimeOffset? ended)
    {
        var end = (ended ?? started).UtcDateTime;
        if (end == activity.StartTimeUtc) end = end.AddTicks(1);
        activity.SetEndTime(end);
        activity.Stop();
    }

    void Remember(TraceId trace, Replayed contexts)
    {
        lock (gate)
        {
            if (!replayed.ContainsKey(trace)) replayOrder.Enqueue(trace);
            replayed[trace] = contexts;
            while (replayOrder.Count > RememberedTraces) replayed.Remove(replayOrder.Dequeue());
        }
    }

    /// <summary>The spans ordered so that every parent present comes before its children (cycles broken arbitrarily).</summary>
    static List<Span> ParentsFirst(IEnumerable<Span> spans)
    {
        var all = spans.Where(s => s is not null).ToList();
        var ids = all.Select(s => s.Id).ToHashSet();
        var children = all.Where(s => s.Parent is { } p && ids.Contains(p) && p != s.Id)
            .ToLookup(s => s.Parent ?? default(SpanId));
        var ordered = new List<Span>(all.Count);
        var seen = new System.Collections.Generic.HashSet<SpanId>();
        var queue = new Queue<Span>(all.Where(s => s.Parent is not { } p || !ids.Contains(p) || p == s.Id)
            .OrderBy(s => s.StartedAt));
        while (true)
        {
            while (queue.Count > 0)
            {
                var next = queue.Dequeue();
                if (!seen.Add(next.Id)) continue;
                ordered.Add(next);
                foreach (var child in children[next.Id].OrderBy(s => s.StartedAt)) queue.Enqueue(child);
            }
            // Spans on a parent cycle are reachable from no root: start again from the earliest of them.
            var rest = all.Where(s => !seen.Contains(s.Id)).OrderBy(s => s.StartedAt).FirstOrDefault();
            if (rest is null) return ordered;
            queue.Enqueue(rest);
        }
    }

    List<KeyValuePair<string, object?>> TraceTags(Trace trace)
    {
        var tags = new List<KeyValuePair<string, object?>>
        {
            new("pandaprobe.trace_id", trace.Id.ToString()),
            new("pandaprobe.trace.status", WireJson.Name(trace.Status)),
        };
        AddTraceContext(tags, trace.SessionId, trace.UserId);
        if (trace.Environment is { } environment) tags.Add(new("pandaprobe.environment", environment));
        if (trace.Release is { } release) tags.Add(new("pandaprobe.release", release));
        if (!trace.Tags.IsEmpty) tags.Add(new("pandaprobe.tags", trace.Tags.Where(t => t is not null).ToArray()));
        if (trace.ParentTrace is { } parent) tags.Add(new("pandaprobe.parent_trace_id", parent.ToString()));
        AddPayloads(tags, trace.Input, trace.Output);
        return tags;
    }

    List<KeyValuePair<string, object?>> SpanTags(Span span)
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
        if (span.Kind == SpanKind.Tool) tags.Add(new("gen_ai.tool.name", span.Name));
        if (span.Kind == SpanKind.Agent) tags.Add(new("gen_ai.agent.name", span.Name));
        if (span.Model is { } model)
        {
            tags.Add(new("gen_ai.request.model", model));
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
        AddPayloads(tags, span.Input, span.Output);
        return tags;
    }

    static void AddTraceContext(List<KeyValuePair<string, object?>> tags, string? session, string? user)
    {
        if (session is { } s)
        {
            tags.Add(new("pandaprobe.session_id", s));
            tags.Add(new("gen_ai.conversation.id", s));
        }
        if (user is { } u) tags.Add(new("pandaprobe.user_id", u));
    }

    void AddPayloads(List<KeyValuePair<string, object?>> tags, Payload? input, Payload? output)
    {
        if (MaxPayloadLength == 0) return;
        if (input is { } i) tags.Add(new("pandaprobe.input", Cut(i.ToJson())));
        if (output is { } o) tags.Add(new("pandaprobe.output", Cut(o.ToJson())));
    }

    void AddLog(Activity activity, LogEntry? log)
    {
        if (log is null) return;
        var tags = new ActivityTagsCollection();
        if (MaxPayloadLength > 0) tags["pandaprobe.log.data"] = Cut((log.Data ?? Payload.Null).ToJson());
        activity.AddEvent(new ActivityEvent("log", log.At, tags));
    }

    static void AddException(Activity activity, ErrorInfo error, DateTimeOffset at)
    {
        var tags = new ActivityTagsCollection { ["exception.message"] = error.Message ?? string.Empty };
        if (error.Type is { } type) tags["exception.type"] = type;
        activity.AddEvent(new ActivityEvent("exception", at, tags));
    }

    /// <summary>The <c>gen_ai.operation.name</c> of a span kind, when the conventions name one.</summary>
    static string? Operation(SpanKind kind) => kind switch
    {
        SpanKind.Llm => "chat",
        SpanKind.Tool => "execute_tool",
        SpanKind.Embedding => "embeddings",
        SpanKind.Agent => "invoke_agent",
        _ => null,
    };

    static double? Number(Payload payload)
    {
        if (payload.IsText) return null;
        return double.TryParse(payload.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : null;
    }

    string Cut(string text)
    {
        if (text.Length <= MaxPayloadLength) return text;
        if (MaxPayloadLength > Limits.TruncationMarker.Length) return Limits.Truncate(text, MaxPayloadLength);
        var keep = MaxPayloadLength;
        if (char.IsHighSurrogate(text[keep - 1])) keep--;
        return text[..keep];
    }

    sealed record Replayed(ActivityContext Root, Dictionary<SpanId, ActivityContext> Spans);
}
