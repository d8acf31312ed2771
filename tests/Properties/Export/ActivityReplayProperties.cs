using PandaProbe.Model.Enrichment;
using System.Diagnostics;
using PandaProbe.Exporters;
using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Generators;
using PandaProbe.Model;

namespace PandaProbe.Properties.Export;

/// <summary>
/// The OpenTelemetry replay is faithful for arbitrary scripts: each completed trace becomes one root activity plus one
/// child per span, all in one W3C trace, each span under the activity of its parent (or the root when the parent is
/// not in the trace), with the original times; late spans join the trace replayed before; every activity started is
/// stopped and <see cref="Activity.Current"/> is restored.
/// </summary>
[Collection(ActivityReplayProperties.Name)]
public class ActivityReplayProperties
{
    /// <summary>The collection of tests that listen to the PandaProbe activity source (a listener is process-wide).</summary>
    public const string Name = "PandaProbe activity source";

    sealed class Collector : IDisposable
    {
        readonly ActivityListener listener;
        public readonly List<Activity> Started = [];
        public readonly List<Activity> Stopped = [];

        public Collector()
        {
            listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == ActivityTraceExporter.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = a => { lock (Started) Started.Add(a); },
                ActivityStopped = a => { lock (Stopped) Stopped.Add(a); },
            };
            ActivitySource.AddActivityListener(listener);
        }

        public void Clear()
        {
            lock (Started) Started.Clear();
            lock (Stopped) Stopped.Clear();
        }

        public void Dispose() => listener.Dispose();
    }

    sealed record Known(ActivitySpanId Root, Dictionary<SpanId, ActivitySpanId> Spans);

    static DateTime EndOf(DateTimeOffset start, DateTimeOffset? end)
    {
        var e = (end ?? start).UtcDateTime;
        return e == start.UtcDateTime ? e.AddTicks(1) : e;
    }

    static Activity? Of(IEnumerable<Activity> activities, SpanId span) =>
        activities.FirstOrDefault(a => a.GetTagItem("pandaprobe.span_id") as string == span.ToString());

    static Property Replays(IReadOnlyList<TraceEvent> script)
    {
        // What the exporter receives: the reducer's outputs after the pipeline's enrichment.
        var outputs = TraceReducer.Fold(script).Outputs.Map(o => Enricher.LimitsOnly.Output(o).Value).Strict();
        var checks = new List<(bool, string)>();
        var known = new Dictionary<TraceId, Known>();
        using var collector = new Collector();
        var exporter = new ActivityTraceExporter();
        using var ambient = new Activity("ambient").Start();

        foreach (var output in outputs)
        {
            collector.Clear();
            if (output is Output.TraceCompleted { Trace: var trace })
            {
                var result = exporter.ExportAsync(ExportBatch.Of(trace), default).AsTask().GetAwaiter().GetResult();
                checks.Add((result == ExportResult.Success(1), $"trace {trace.Id}: result {result}"));
                CheckTrace(trace, collector.Stopped, checks, known);
            }
            else if (output is Output.SpanCompleted { AfterTrace: true, Span: var late })
            {
                var result = exporter.ExportAsync(new ExportBatch([], [late], []), default).AsTask().GetAwaiter().GetResult();
                checks.Add((result == ExportResult.Success(1), $"late span {late.Id}: result {result}"));
                CheckLate(late, collector.Stopped, checks, known);
            }
            else continue;
            checks.Add((Activity.Current == ambient, "Activity.Current was not restored"));
            checks.Add((collector.Started.Count == collector.Stopped.Count && collector.Stopped.All(a => a.IsStopped),
                $"{collector.Started.Count} activities started, {collector.Stopped.Count} stopped"));
        }
        return Claim.All(checks, () => $"{script.Count} events");
    }

    static void CheckTrace(TraceRecord trace, List<Activity> stopped, List<(bool, string)> checks, Dictionary<TraceId, Known> known)
    {
        var at = $"trace {trace.Id}";
        checks.Add((stopped.Count == 1 + trace.Spans.Count, $"{at}: {stopped.Count} activities for {trace.Spans.Count} spans"));
        var roots = stopped.Where(a => a.GetTagItem("pandaprobe.span_id") is null).ToList();
        checks.Add((roots.Count == 1, $"{at}: {roots.Count} root activities"));
        if (roots.Count != 1) return;
        var root = roots[0];
        checks.Add((root.ParentSpanId == default, $"{at}: the root has a parent"));
        checks.Add((root.DisplayName == trace.Name, $"{at}: root named {root.DisplayName}"));
        checks.Add((root.StartTimeUtc == trace.StartedAt.UtcDateTime && root.StartTimeUtc + root.Duration == EndOf(trace.StartedAt, trace.EndedAt),
            $"{at}: root times {root.StartTimeUtc:O} + {root.Duration}"));
        checks.Add((stopped.All(a => a.TraceId == root.TraceId), $"{at}: activities in several W3C traces"));
        var spans = new Dictionary<SpanId, ActivitySpanId>();
        foreach (var span in trace.Spans)
        {
            var activity = Of(stopped, span.Id);
            checks.Add((activity is not null, $"{at}: span {span.Id} not replayed"));
            if (activity is null) continue;
            spans[span.Id] = activity.SpanId;
            var parent = span.Parent is { } p && trace.Spans.Any(s => s.Id == p) ? Of(stopped, p)?.SpanId : root.SpanId;
            checks.Add((activity.ParentSpanId == parent, $"{at}: span {span.Id} under {activity.ParentSpanId}, expected {parent}"));
            checks.Add((activity.StartTimeUtc == span.StartedAt.UtcDateTime && activity.StartTimeUtc + activity.Duration == EndOf(span.StartedAt, span.EndedAt),
                $"{at}: span {span.Id} times"));
            checks.Add((activity.Kind == (span.Kind == SpanType.Llm ? ActivityKind.Client : ActivityKind.Internal), $"{at}: span {span.Id} kind"));
            checks.Add(((activity.Status == ActivityStatusCode.Error) == (span.Status == SpanStatus.Error || span.Error is not null),
                $"{at}: span {span.Id} status {activity.Status} for {span.Status}"));
        }
        known[trace.Id] = new Known(root.SpanId, spans);
    }

    static void CheckLate(Span late, List<Activity> stopped, List<(bool, string)> checks, Dictionary<TraceId, Known> known)
    {
        var at = $"late span {late.Id}";
        checks.Add((stopped.Count == 1, $"{at}: {stopped.Count} activities"));
        if (stopped.Count != 1) return;
        var activity = stopped[0];
        var trace = known.GetValueOrDefault(late.Trace);
        ActivitySpanId expected =
            trace is not null && late.Parent is { } p && trace.Spans.TryGetValue(p, out var parent) ? parent
            : trace?.Root ?? default;
        checks.Add((activity.ParentSpanId == expected, $"{at}: under {activity.ParentSpanId}, expected {expected}"));
        checks.Add((activity.StartTimeUtc + activity.Duration == EndOf(late.StartedAt, late.EndedAt), $"{at}: end time"));
        if (trace is null) known[late.Trace] = trace = new Known(default, []);
        trace.Spans[late.Id] = activity.SpanId;
    }

    [TraceProperty]
    public Property Any_script_replays_faithfully_through_the_activity_source(ScriptPlan p) =>
        Replays(Scripts.Any(p.Steps, p.Clock));

    [TraceProperty]
    public Property Scripts_with_late_spans_replay_faithfully(ScriptPlan p) =>
        Replays(Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock)));
}

/// <summary>Tests that listen to the PandaProbe activity source run alone.</summary>
[CollectionDefinition(ActivityReplayProperties.Name, DisableParallelization = true)]
public sealed class ActivityReplayCollection;
