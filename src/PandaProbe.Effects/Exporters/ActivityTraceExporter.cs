using System.Diagnostics;
using System.Globalization;
using PandaProbe.Serialization;
using PandaProbe.Model;

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
    public const string SourceName = "PandaProbe.Replay";

    /// <summary>The default longest input or output text recorded as a tag.</summary>
    public const int DefaultMaxPayloadLength = 4096;

    /// <summary>How many traces the exporter remembers to parent late spans correctly.</summary>
    public const int RememberedTraces = 1024;

    static readonly ActivitySource Source = ActivityProjection.NewSource(SourceName);

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

    void ReplayTrace(TraceRecord trace)
    {
        // A root activity: nothing ambient may become its parent.
        Activity.Current = null;
        var root = Source.StartActivity(trace.Name, ActivityKind.Internal, default(ActivityContext),
            ActivityProjection.TraceTags(trace, MaxPayloadLength), links: null, trace.StartedAt);
        if (root is null) return; // sampled out: its spans go nowhere either
        var contexts = new Dictionary<SpanId, ActivityContext>();
        try
        {
            foreach (var span in ParentsFirst(trace.Spans))
            {
                var parent = span.Parent is { } p && contexts.TryGetValue(p, out var c) ? c : root.Context;
                if (ReplaySpan(span, parent) is { } created) contexts[span.Id] = created;
            }
            ActivityProjection.AddEvents(root, trace, MaxPayloadLength);
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
        var activity = Source.StartActivity(span.Name, ActivityProjection.KindOf(span.Kind), parent,
            ActivityProjection.SpanTags(span, MaxPayloadLength), links: null, span.StartedAt);
        if (activity is null) return null;
        try
        {
            ActivityProjection.AddEvents(activity, span, MaxPayloadLength);
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

    sealed record Replayed(ActivityContext Root, Dictionary<SpanId, ActivityContext> Spans);
}
