using System.Collections.Concurrent;
using System.Diagnostics;
using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Serialization;
using PandaProbe.Unit.Support;
using Xunit;
using static LanguageExt.Prelude;
using static PandaProbe.Model.TraceEvent;
using static PandaProbe.Unit.Serialization.WireSamples;

namespace PandaProbe.Unit.Export;

/// <summary>Collects the activities of the PandaProbe source while alive (process-wide, so tests filter by trace id).</summary>
sealed class ActivityCollector : IDisposable
{
    readonly ActivityListener listener;
    readonly ConcurrentQueue<Activity> started = new();
    readonly ConcurrentQueue<Activity> stopped = new();

    public ActivityCollector(ActivitySamplingResult sampling = ActivitySamplingResult.AllDataAndRecorded)
    {
        listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ActivityTraceExporter.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            ActivityStarted = started.Enqueue,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
    }

    static bool Of(Activity a, TraceId trace) => a.GetTagItem("pandaprobe.trace_id") as string == trace.ToString();

    public IReadOnlyList<Activity> Started(TraceId trace) => started.Where(a => Of(a, trace)).ToList();

    public IReadOnlyList<Activity> Stopped(TraceId trace) => stopped.Where(a => Of(a, trace)).ToList();

    public Activity Root(TraceId trace) => Stopped(trace).Single(a => a.GetTagItem("pandaprobe.span_id") is null);

    public Activity Span(TraceId trace, SpanId span) =>
        Stopped(trace).Single(a => a.GetTagItem("pandaprobe.span_id") as string == span.ToString());

    public void Dispose() => listener.Dispose();
}

[Collection(ActivityCollection.Name)]
public class ActivityTraceExporterTests
{
    static readonly TraceId LateTrace = new(Guid.Parse("5a5a5a5a-0000-4000-8000-000000000001"));
    static readonly SpanId A = new(Guid.Parse("5a5a5a5a-0000-4000-8000-0000000000a1"));
    static readonly SpanId B = new(Guid.Parse("5a5a5a5a-0000-4000-8000-0000000000b2"));
    static readonly SpanId C = new(Guid.Parse("5a5a5a5a-0000-4000-8000-0000000000c3"));

    static async Task<ExportResult> Export(ActivityTraceExporter exporter, params TraceRecord[] traces) =>
        await exporter.ExportAsync(ExportBatch.Of(traces), default);

    [Fact]
    public async Task A_trace_becomes_a_root_activity_with_its_times_name_and_tags()
    {
        using var collector = new ActivityCollector();
        var trace = Rich();
        Assert.Equal(ExportResult.Success(1), await Export(new ActivityTraceExporter(), trace));

        var root = collector.Root(TraceA);
        Assert.Equal("rag-pipeline", root.DisplayName);
        Assert.Equal(ActivityTraceExporter.SourceName, root.Source.Name);
        Assert.Equal(ActivityKind.Internal, root.Kind);
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(trace.StartedAt.UtcDateTime, root.StartTimeUtc);
        Assert.Equal((trace.EndedAt ?? T0) - trace.StartedAt, root.Duration);
        Assert.Equal("conv-123", root.GetTagItem("pandaprobe.session_id"));
        Assert.Equal("conv-123", root.GetTagItem("gen_ai.conversation.id"));
        Assert.Equal("user-abc", root.GetTagItem("pandaprobe.user_id"));
        Assert.Equal("production", root.GetTagItem("pandaprobe.environment"));
        Assert.Equal("v1.2.3", root.GetTagItem("pandaprobe.release"));
        Assert.Equal(new[] { "rag", "prod" }, root.GetTagItem("pandaprobe.tags"));
        Assert.Equal(ParentRun.ToString(), root.GetTagItem("pandaprobe.parent_trace_id"));
        Assert.Equal("ERROR", root.GetTagItem("pandaprobe.trace.status"));
        Assert.Equal((trace.Input ?? Payload.Null).ToJson(), root.GetTagItem("pandaprobe.input"));
        Assert.Equal((trace.Output ?? Payload.Null).ToJson(), root.GetTagItem("pandaprobe.output"));
    }

    [Fact]
    public async Task A_failed_trace_has_error_status_and_an_exception_event()
    {
        using var collector = new ActivityCollector();
        await Export(new ActivityTraceExporter(), Rich());
        var root = collector.Root(TraceA);
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("tool failed", root.StatusDescription);
        var exception = Assert.Single(root.Events, e => e.Name == "exception");
        Assert.Equal("tool failed", exception.Tags.Single(t => t.Key == "exception.message").Value);
        Assert.Equal("System.TimeoutException", exception.Tags.Single(t => t.Key == "exception.type").Value);
        var log = Assert.Single(root.Events, e => e.Name == "log");
        Assert.Equal(At(405), log.Timestamp);
        Assert.Equal("""{"step":1}""", log.Tags.Single(t => t.Key == "pandaprobe.log.data").Value);
    }

    [Fact]
    public async Task A_clean_trace_and_its_spans_keep_the_unset_status()
    {
        using var collector = new ActivityCollector();
        await Export(new ActivityTraceExporter(), Minimal());
        var root = collector.Root(TraceA);
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        Assert.Empty(root.Events);
        Assert.Null(root.GetTagItem("pandaprobe.session_id"));
        Assert.Equal(TimeSpan.FromSeconds(2), root.Duration);
    }

    [Fact]
    public async Task Spans_become_children_with_their_own_times_and_parents_created_first()
    {
        using var collector = new ActivityCollector();
        var trace = Rich();
        // The trace lists spans in end order (children before the agent): the exporter must still parent them right.
        Assert.Equal(new[] { Llm, Tool, Root }, trace.Spans.Select(s => s.Id));
        await Export(new ActivityTraceExporter(), trace);

        var root = collector.Root(TraceA);
        var agent = collector.Span(TraceA, Root);
        var llm = collector.Span(TraceA, Llm);
        var tool = collector.Span(TraceA, Tool);
        Assert.Equal(4, collector.Stopped(TraceA).Count);
        Assert.All(collector.Stopped(TraceA), a => Assert.Equal(root.TraceId, a.TraceId));
        Assert.Equal(root.SpanId, agent.ParentSpanId);
        Assert.Equal(agent.SpanId, llm.ParentSpanId);
        Assert.Equal(agent.SpanId, tool.ParentSpanId);
        Assert.Equal(Root.ToString(), llm.GetTagItem("pandaprobe.parent_span_id"));
        foreach (var span in trace.Spans)
        {
            var activity = collector.Span(TraceA, span.Id);
            Assert.Equal(span.Name, activity.DisplayName);
            Assert.Equal(span.StartedAt.UtcDateTime, activity.StartTimeUtc);
            Assert.Equal((span.EndedAt ?? T0).UtcDateTime, activity.StartTimeUtc + activity.Duration);
        }
    }

    [Fact]
    public async Task Llm_spans_are_client_activities_with_gen_ai_tags()
    {
        using var collector = new ActivityCollector();
        await Export(new ActivityTraceExporter(), Rich());
        var llm = collector.Span(TraceA, Llm);
        Assert.Equal(ActivityKind.Client, llm.Kind);
        Assert.Equal("chat", llm.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("gpt-5.4-nano", llm.GetTagItem("gen_ai.request.model"));
        Assert.Equal("gpt-5.4-nano", llm.GetTagItem("gen_ai.response.model"));
        Assert.Equal(120L, llm.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(40L, llm.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(160L, llm.GetTagItem("pandaprobe.usage.total_tokens"));
        Assert.Equal(0.0021, llm.GetTagItem("pandaprobe.cost.total"));
        Assert.Equal(0.7, llm.GetTagItem("gen_ai.request.temperature"));
        Assert.Equal(100d, llm.GetTagItem("gen_ai.request.max_tokens"));
        Assert.Equal("LLM", llm.GetTagItem("pandaprobe.span.kind"));
        Assert.Equal("OK", llm.GetTagItem("pandaprobe.span.status"));
        Assert.Equal(Llm.ToString(), llm.GetTagItem("pandaprobe.span_id"));
        Assert.Equal(TraceA.ToString(), llm.GetTagItem("pandaprobe.trace_id"));
        Assert.Equal("\"La gare est à droite.\"", llm.GetTagItem("pandaprobe.output"));
        Assert.Equal(ActivityStatusCode.Unset, llm.Status);
        Assert.Single(llm.Events, e => e.Name == "log" && e.Timestamp == At(303.001));

        var agent = collector.Span(TraceA, Root);
        Assert.Equal(ActivityKind.Internal, agent.Kind);
        Assert.Equal("invoke_agent", agent.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("agent", agent.GetTagItem("gen_ai.agent.name"));
        Assert.Null(agent.GetTagItem("gen_ai.request.model"));
        Assert.Null(agent.GetTagItem("gen_ai.usage.input_tokens"));
    }

    [Fact]
    public async Task A_failed_span_has_error_status_and_an_exception_event()
    {
        using var collector = new ActivityCollector();
        await Export(new ActivityTraceExporter(), Rich());
        var tool = collector.Span(TraceA, Tool);
        Assert.Equal(ActivityKind.Internal, tool.Kind);
        Assert.Equal("execute_tool", tool.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("search", tool.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(ActivityStatusCode.Error, tool.Status);
        Assert.Equal("timeout after 3 s", tool.StatusDescription);
        var exception = Assert.Single(tool.Events);
        Assert.Equal("exception", exception.Name);
        Assert.Equal(At(401), exception.Timestamp);
        Assert.Equal("timeout after 3 s", exception.Tags.Single(t => t.Key == "exception.message").Value);
        Assert.Equal("System.TimeoutException", exception.Tags.Single(t => t.Key == "exception.type").Value);
    }

    [Fact]
    public async Task Input_and_output_are_cut_to_the_configured_length_or_left_out()
    {
        using var collector = new ActivityCollector();
        var trace = Rich();
        await Export(new ActivityTraceExporter(maxPayloadLength: 30), trace);
        var input = Assert.IsType<string>(collector.Root(TraceA).GetTagItem("pandaprobe.input"));
        Assert.Equal(30, input.Length);
        Assert.EndsWith(Limits.TruncationMarker, input);
        Assert.StartsWith((trace.Input ?? Payload.Null).ToJson()[..(30 - Limits.TruncationMarker.Length)], input);

        var quiet = Minimal() with { Id = LateTrace, Input = Payload.Text("secret") };
        await Export(new ActivityTraceExporter(maxPayloadLength: 0), quiet);
        Assert.Null(collector.Root(LateTrace).GetTagItem("pandaprobe.input"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ActivityTraceExporter(-1));
        Assert.Equal(4096, new ActivityTraceExporter().MaxPayloadLength);
    }

    [Fact]
    public async Task Every_started_activity_is_stopped_and_the_current_activity_is_restored()
    {
        using var collector = new ActivityCollector();
        using var ambient = new Activity("the application's own work").Start();
        Assert.Same(ambient, Activity.Current);

        await Export(new ActivityTraceExporter(), Rich());

        Assert.Same(ambient, Activity.Current);
        Assert.Equal(collector.Started(TraceA).Count, collector.Stopped(TraceA).Count);
        Assert.All(collector.Stopped(TraceA), a => Assert.True(a.IsStopped));
        // The replayed trace is a root of its own, not a child of whatever was current.
        Assert.Equal(default, collector.Root(TraceA).ParentSpanId);
        Assert.NotEqual(ambient.TraceId, collector.Root(TraceA).TraceId);
    }

    [Fact]
    public async Task A_zero_length_span_lasts_one_tick_instead_of_until_now()
    {
        using var collector = new ActivityCollector();
        var trace = Completed([
            new TraceStarted(LateTrace, "instant", T0),
            new SpanStarted(LateTrace, A, null, "instant-span", SpanType.Other, T0),
            new SpanEnded(LateTrace, A, T0),
            new TraceEnded(LateTrace, T0),
        ]);
        await Export(new ActivityTraceExporter(), trace);
        Assert.Equal(TimeSpan.FromTicks(1), collector.Root(LateTrace).Duration);
        Assert.Equal(TimeSpan.FromTicks(1), collector.Span(LateTrace, A).Duration);
    }

    static (TraceRecord Trace, Span[] Late) WithLateSpans()
    {
        // A (top) and B (child of A) end after the trace; C (child of A) ends before it, while A is still open.
        var outputs = TraceReducer.Fold([
            new TraceStarted(LateTrace, "late", T0),
            new SpanStarted(LateTrace, A, null, "a", SpanType.Agent, At(1)),
            new SpanStarted(LateTrace, B, A, "b", SpanType.Llm, At(2), Model: "m"),
            new SpanStarted(LateTrace, C, A, "c", SpanType.Tool, At(3)),
            new SpanEnded(LateTrace, C, At(4)),
            new TraceEnded(LateTrace, At(5)),
            new SpanEnded(LateTrace, B, At(6)),
            new SpanEnded(LateTrace, A, At(7)),
        ]).Outputs;
        var trace = outputs.Choose(o => o is Output.TraceCompleted c ? Some(c.Trace) : None).Head();
        var late = outputs.Choose(o => o is Output.SpanCompleted { AfterTrace: true } c ? Some(c.Span) : None).ToArray();
        return (trace, late);
    }

    [Fact]
    public async Task Late_spans_join_the_trace_replayed_earlier_parents_first()
    {
        using var collector = new ActivityCollector();
        var (trace, late) = WithLateSpans();
        Assert.Equal(new[] { C }, trace.Spans.Select(s => s.Id));
        Assert.Equal(new[] { B, A }, late.Select(s => s.Id));
        var exporter = new ActivityTraceExporter();
        await Export(exporter, trace);
        Assert.Equal(ExportResult.Success(2), await exporter.ExportAsync(new ExportBatch([], late, []), default));

        var root = collector.Root(LateTrace);
        var a = collector.Span(LateTrace, A);
        var b = collector.Span(LateTrace, B);
        var c = collector.Span(LateTrace, C);
        Assert.All(new[] { a, b, c }, x => Assert.Equal(root.TraceId, x.TraceId));
        Assert.Equal(root.SpanId, a.ParentSpanId);
        Assert.Equal(a.SpanId, b.ParentSpanId);
        // C's parent was not replayed yet when the trace was: it hangs under the root, and keeps A's id as a tag.
        Assert.Equal(root.SpanId, c.ParentSpanId);
        Assert.Equal(A.ToString(), c.GetTagItem("pandaprobe.parent_span_id"));
        Assert.Equal(At(6).UtcDateTime, b.StartTimeUtc + b.Duration);
        Assert.Equal(ActivityKind.Client, b.Kind);
    }

    [Fact]
    public async Task Late_spans_of_an_unknown_trace_become_a_tree_of_their_own()
    {
        using var collector = new ActivityCollector();
        var (_, late) = WithLateSpans();
        await new ActivityTraceExporter().ExportAsync(new ExportBatch([], late, []), default);
        var a = collector.Span(LateTrace, A);
        var b = collector.Span(LateTrace, B);
        Assert.Equal(default, a.ParentSpanId);
        Assert.Equal(a.SpanId, b.ParentSpanId);
        Assert.Equal(a.TraceId, b.TraceId);
    }

    [Fact]
    public async Task Without_listeners_the_export_succeeds_without_creating_anything()
    {
        using var source = new ActivitySource(ActivityTraceExporter.SourceName);
        Assert.False(source.HasListeners(), "another test left a listener on the PandaProbe source");
        var before = Activity.Current;
        var batch = new ExportBatch([Rich()], WithLateSpans().Late, []);
        Assert.Equal(ExportResult.Success(3), await new ActivityTraceExporter().ExportAsync(batch, default));
        Assert.Same(before, Activity.Current);
    }

    [Fact]
    public async Task Sampled_out_traces_count_as_exported_and_leave_nothing_behind()
    {
        using var collector = new ActivityCollector(ActivitySamplingResult.None);
        var before = Activity.Current;
        Assert.Equal(ExportResult.Success(1), await Export(new ActivityTraceExporter(), Rich()));
        Assert.Empty(collector.Started(TraceA));
        Assert.Same(before, Activity.Current);
    }

    [Fact]
    public async Task Spans_on_a_parent_cycle_are_still_replayed_once_each()
    {
        using var collector = new ActivityCollector();
        var span = new Span { Id = A, Trace = LateTrace, Name = "a", StartedAt = T0, EndedAt = At(1), Parent = B };
        var trace = Minimal() with
        {
            Id = LateTrace,
            Spans = Seq(span, span with { Id = B, Name = "b", Parent = A }, span with { Id = C, Name = "self", Parent = C }),
        };
        Assert.Equal(ExportResult.Success(1), await Export(new ActivityTraceExporter(), trace));
        Assert.Equal(4, collector.Stopped(LateTrace).Count);
        Assert.Equal(collector.Root(LateTrace).SpanId, collector.Span(LateTrace, C).ParentSpanId);
    }

    [Fact]
    public async Task A_cancelled_export_replays_nothing_and_reports_the_items_as_failed()
    {
        using var collector = new ActivityCollector();
        var result = await new ActivityTraceExporter().ExportAsync(new ExportBatch([Rich()], WithLateSpans().Late, []), new CancellationToken(true));
        Assert.Equal(new ExportResult(0, 3, "the export was cancelled before every item was replayed"), result);
        Assert.Empty(collector.Started(TraceA));
        Assert.Empty(collector.Started(LateTrace));
    }

    [Fact]
    public async Task Scores_and_empty_batches_are_accepted()
    {
        using var collector = new ActivityCollector();
        var exporter = new ActivityTraceExporter();
        Assert.Equal(ExportResult.Success(0), await exporter.ExportAsync(ExportBatch.Empty, default));
        var score = new Score(TraceA, "q", "1", ScoreDataType.Numeric, null, Map<string, Payload>());
        Assert.Equal(ExportResult.Success(1), await exporter.ExportAsync(new ExportBatch([], [], [score]), default));
        Assert.Equal("opentelemetry", exporter.Name);
    }

    [Fact]
    public async Task End_to_end_a_client_ships_its_traces_to_the_activity_source()
    {
        using var collector = new ActivityCollector();
        await using var client = TestClient.Create(new ActivityTraceExporter());
        Guid traceId, llmId, toolId;
        using (var trace = client.StartTrace("chat-turn", input: new { question = "hi" }, sessionId: "s-1", userId: "u-1"))
        {
            traceId = trace.TraceId;
            using (var llm = trace.Span("answer", SpanType.Llm, model: "gpt-x"))
            {
                llmId = llm.SpanId;
                llm.SetTokenUsage(promptTokens: 12, completionTokens: 5);
                llm.SetCost(0.5);
                using var tool = trace.Span("lookup", SpanType.Tool);
                toolId = tool.SpanId;
                tool.SetOutput("found");
            }
        }
        await client.FlushAsync();

        var id = new TraceId(traceId);
        var root = collector.Root(id);
        var answer = collector.Span(id, new SpanId(llmId));
        var lookup = collector.Span(id, new SpanId(toolId));
        Assert.Equal("chat-turn", root.DisplayName);
        Assert.Equal("s-1", root.GetTagItem("pandaprobe.session_id"));
        Assert.Equal("""{"question":"hi"}""", root.GetTagItem("pandaprobe.input"));
        Assert.Equal(root.SpanId, answer.ParentSpanId);
        Assert.Equal(answer.SpanId, lookup.ParentSpanId);
        Assert.Equal(12L, answer.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(5L, answer.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(0.5, answer.GetTagItem("pandaprobe.cost.total"));
        Assert.Equal("\"found\"", lookup.GetTagItem("pandaprobe.output"));
        Assert.Equal(3, collector.Stopped(id).Count);
    }
}

/// <summary>The activity tests run alone: an <see cref="ActivityListener"/> is process-wide.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ActivityCollection
{
    public const string Name = "Activity";
}
