using System.Collections.Concurrent;
using System.Diagnostics;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Facade;

/// <summary>
/// Live activities: each trace and span is also an activity while someone listens to <see cref="Probe.ActivitySourceName"/>,
/// current inside its scope, with the ids the documented mapping gives; and the ids and <c>tracestate</c> entry of
/// <see cref="Propagation"/>.
/// </summary>
[Collection(ProbeCollection.Name)]   // listeners are process-wide: these run one at a time, beside no other test that listens
public sealed class LiveActivityTests
{
    sealed class Listening : IDisposable
    {
        readonly ActivityListener listener;
        public readonly ConcurrentQueue<Activity> Stopped = new();
        public Listening(ActivitySamplingResult sampling = ActivitySamplingResult.AllDataAndRecorded)
        {
            listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == Probe.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
                ActivityStopped = a => Stopped.Enqueue(a),
            };
            ActivitySource.AddActivityListener(listener);
        }
        public void Dispose() => listener.Dispose();
    }

    static PandaProbeClient NewClient(InMemoryTraceExporter exporter) => new(new PandaProbeOptions
    {
        RegisterProcessExitHandler = false,
        EnvironmentVariables = new Dictionary<string, string?>(),
        Exporters = { exporter },
    });

    [Fact]
    public async Task Each_trace_and_span_is_a_current_activity_with_the_mapped_ids()
    {
        using var listening = new Listening();
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        Activity.Current = null;
        Activity? inTrace, inSpan, inChild, afterSpan;
        Guid traceId, spanId, childId;
        using (var trace = client.StartTrace("agent"))
        {
            traceId = trace.TraceId;
            inTrace = Activity.Current;
            using (var span = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
            {
                spanId = span.SpanId;
                inSpan = Activity.Current;
                span.SetTokenUsage(10, 5);
                using (var child = trace.Span("lookup", SpanType.Tool))
                {
                    childId = child.SpanId;
                    inChild = Activity.Current;
                    child.Fail(new InvalidOperationException("no index"));
                }
            }
            afterSpan = Activity.Current;
        }
        Assert.Null(Activity.Current);
        await client.FlushAsync();

        Assert.NotNull(inTrace);
        Assert.Equal("agent", inTrace!.DisplayName);
        Assert.Same(inTrace, afterSpan);
        Assert.Equal("generate", inSpan!.DisplayName);
        Assert.Equal(inTrace.SpanId, inSpan.ParentSpanId);
        Assert.Equal(inSpan.SpanId, inChild!.ParentSpanId);
        // A root trace's id is its W3C trace id; a span's id starts with its activity's span id and ends with the trace's last 8 bytes.
        Assert.Equal(inTrace.TraceId.ToHexString(), traceId.ToString("N"));
        Assert.Equal(inSpan.SpanId.ToHexString() + traceId.ToString("N")[16..], spanId.ToString("N"));
        Assert.Equal(inChild.SpanId.ToHexString() + traceId.ToString("N")[16..], childId.ToString("N"));
        // The projection at the end: gen_ai tags, usage, error status; the tracestate names the platform trace and span.
        Assert.Equal("chat", inSpan.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(10L, inSpan.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(ActivityStatusCode.Error, inChild.Status);
        Assert.Equal(ActivityKind.Client, inSpan.Kind);
        Assert.Equal($"pandaprobe={traceId:N}-{inSpan.SpanId.ToHexString()}", inSpan.TraceStateString);
        Assert.Equal($"pandaprobe={traceId:N}", inTrace.TraceStateString);
        Assert.Equal(ActivityProjection.SchemaUrl, inTrace.Source.TelemetrySchemaUrl);
        Assert.Equal(3, listening.Stopped.Count(a => a.TraceId == inTrace.TraceId));
        var exported = Assert.Single(exporter.Traces);
        Assert.Equal(traceId, exported.Id.Value);
        Assert.Equal(new[] { spanId, childId }.Order(), exported.Spans.Select(s => s.Id.Value).Order());
    }

    [Fact]
    public async Task A_trace_under_a_foreign_activity_is_its_child_and_keeps_its_own_platform_id()
    {
        using var listening = new Listening();
        using var request = new ActivitySource("Test.Request");
        using var requestListener = new ActivityListener
        {
            ShouldListenTo = s => s == request,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(requestListener);
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        Activity.Current = null;
        using var outer = request.StartActivity("GET /ask")!;
        outer.TraceStateString = "vendor=abc";
        using (var trace = client.StartTrace("agent"))
        {
            var live = Activity.Current!;
            Assert.Equal(outer.TraceId, live.TraceId);
            Assert.Equal(outer.SpanId, live.ParentSpanId);
            Assert.NotEqual(outer.TraceId.ToHexString(), trace.TraceId.ToString("N"));
            Assert.Equal($"pandaprobe={trace.TraceId:N},vendor=abc", live.TraceStateString);
            Assert.Equal(live.Context, trace.ActivityContext);
        }
        Assert.Same(outer, Activity.Current);
    }

    [Fact]
    public async Task With_no_listener_nothing_is_created_and_the_ambient_activity_is_untouched()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        Activity.Current = null;
        Assert.False(LiveActivityProbe.HasListeners);
        using (var trace = client.StartTrace("agent"))
        using (var span = trace.Span("generate", SpanType.Llm))
        {
            Assert.Null(Activity.Current);
            // Propagation by hand still works: the context is made from the ids.
            var context = span.ActivityContext;
            Assert.Equal(trace.TraceId.ToString("N"), context.TraceId.ToHexString());
            Assert.Equal(span.SpanId.ToString("N")[..16], context.SpanId.ToHexString());
            Assert.Equal($"00-{trace.TraceId:N}-{span.SpanId.ToString("N")[..16]}-01", span.TraceParent);
            Assert.Equal($"pandaprobe={trace.TraceId:N}-{span.SpanId.ToString("N")[..16]}", span.TraceState);
        }
        Assert.Null(Activity.Current);
    }

    [Fact]
    public async Task A_trace_started_under_a_propagated_context_continues_the_upstream_trace_under_the_calling_span()
    {
        var upstreamExporter = new InMemoryTraceExporter();
        var downstreamExporter = new InMemoryTraceExporter();
        await using var upstream = NewClient(upstreamExporter);
        await using var downstream = NewClient(downstreamExporter);
        using var trace = upstream.StartTrace("orchestrator");
        using var call = trace.Span("call", SpanType.Tool);
        Assert.True(ActivityContext.TryParse(call.TraceParent, call.TraceState, out var context));

        Guid continued;
        using (var worker = downstream.StartTrace("worker", parentContext: context))
        {
            continued = worker.TraceId;
            using var first = worker.Span("step");
            using var inner = worker.Span("inner");
        }
        await downstream.FlushAsync();

        Assert.Equal(trace.TraceId, continued);
        var received = Assert.Single(downstreamExporter.Traces);
        Assert.Equal(call.SpanId, received.ContinuationParent?.Value);
        var standIn = received.ContinuationSpan!.Value;
        var step = received.Spans.Single(s => s.Name == "step");
        Assert.Equal(standIn, step.Parent);
        Assert.Equal(step.Id, received.Spans.Single(s => s.Name == "inner").Parent);
        // At the trace level (no span), the stand-in hangs at the top of the upstream trace.
        Assert.True(ActivityContext.TryParse(trace.TraceParent, trace.TraceState, out var traceLevel));
        using (var top = downstream.StartTrace("top-level", parentContext: traceLevel)) Assert.Equal(trace.TraceId, top.TraceId);
        await downstream.FlushAsync();
        var topLevel = downstreamExporter.Traces.Single(t => t.Name == "top-level");
        Assert.NotNull(topLevel.ContinuationSpan);
        Assert.Null(topLevel.ContinuationParent);
    }

    [Fact]
    public async Task A_continuation_started_inside_a_local_trace_keeps_both_its_parent_trace_and_its_upstream_ids()
    {
        var upstreamExporter = new InMemoryTraceExporter();
        var downstreamExporter = new InMemoryTraceExporter();
        await using var upstream = NewClient(upstreamExporter);
        await using var downstream = NewClient(downstreamExporter);
        using var trace = upstream.StartTrace("orchestrator");
        using var call = trace.Span("call", SpanType.Tool);
        Assert.True(ActivityContext.TryParse(call.TraceParent, call.TraceState, out var context));

        Guid local;
        using (var consumer = downstream.StartTrace("queue-consumer"))
        {
            local = consumer.TraceId;
            using var worker = downstream.StartTrace("worker", parentContext: context);   // a message's context, by hand
            Assert.Equal(trace.TraceId, worker.TraceId);
            Assert.Same(consumer, worker.Parent);
        }
        await downstream.FlushAsync();

        var received = downstreamExporter.Traces.Single(t => t.Name == "worker");
        Assert.Equal(local, received.ParentTrace?.Value);
        Assert.Equal(call.SpanId, received.ContinuationParent?.Value);
        Assert.NotNull(received.ContinuationSpan);
        // The links are values: a copy that changes one keeps the others, and clearing the continuation keeps the parent.
        var cleared = received with { ContinuationSpan = null };
        Assert.Null(cleared.ContinuationParent);
        Assert.Equal(local, cleared.ParentTrace?.Value);
        Assert.Equal(received, received with { ParentTrace = received.ParentTrace });
        var ownTrace = downstreamExporter.Traces.Single(t => t.Name == "queue-consumer");
        Assert.Null(ownTrace.ParentTrace);
        Assert.Null(ownTrace.ContinuationSpan);
    }

    [Fact]
    public async Task A_trace_started_inside_a_live_trace_of_this_process_is_a_sub_trace_not_a_continuation()
    {
        using var listening = new Listening();
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        Activity.Current = null;
        using (var outer = client.StartTrace("orchestrator"))
        using (var call = outer.Span("delegate", SpanType.Agent))
        using (var inner = client.StartTrace("sub-agent"))
        {
            Assert.NotEqual(outer.TraceId, inner.TraceId);
            Assert.Same(outer, inner.Parent);
            Assert.Equal(call.ActivityContext.SpanId, Activity.Current!.ParentSpanId);   // still the span's child on the OpenTelemetry side
        }
        await client.FlushAsync();
        var sub = exporter.Traces.Single(t => t.Name == "sub-agent");
        Assert.Null(sub.ContinuationSpan);
        Assert.Equal(exporter.Traces.Single(t => t.Name == "orchestrator").Id, sub.ParentTrace);
    }

    [Fact]
    public async Task Scopes_that_end_out_of_order_or_beside_the_flow_never_leave_a_stopped_activity_current()
    {
        using var listening = new Listening();
        await using var client = NewClient(new InMemoryTraceExporter());
        Activity.Current = null;
        var trace = client.StartTrace("agent");
        var outer = trace.Span("outer");
        var inner = trace.Span("inner");
        outer.End();                      // the outer span ends first
        inner.End();
        Assert.Same(trace.Live!.Activity, Activity.Current);   // back to the nearest running ancestor
        using (var beside = trace.Span("beside", makeCurrent: false))
        {
            Assert.Same(trace.Live!.Activity, Activity.Current);
            Assert.Equal(trace.Live.Activity.SpanId, beside.Live!.Activity.ParentSpanId);
        }
        trace.End();
        Assert.Null(Activity.Current);
    }

    [Fact]
    public async Task A_listener_that_throws_never_reaches_the_caller()
    {
        using var throwing = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Probe.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => throw new InvalidOperationException("sampler bug"),
        };
        ActivitySource.AddActivityListener(throwing);
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        Activity.Current = null;
        using (var trace = client.StartTrace("agent"))
        using (trace.Span("step")) Assert.Null(Activity.Current);
        await client.FlushAsync();
        Assert.Equal("step", Assert.Single(Assert.Single(exporter.Traces).Spans).Name);
    }

    [Fact]
    public async Task Live_activities_carry_the_error_type_but_not_its_unredacted_message()
    {
        using var listening = new Listening();
        await using var client = NewClient(new InMemoryTraceExporter());
        Activity.Current = null;
        Activity live;
        using (var trace = client.StartTrace("agent"))
        using (var span = trace.Span("step"))
        {
            live = span.Live!.Activity;
            span.Fail(new InvalidOperationException("card 4111 1111 1111 1111 declined"));
        }
        Assert.Equal(ActivityStatusCode.Error, live.Status);
        Assert.DoesNotContain("4111", live.StatusDescription ?? string.Empty);
        var exception = Assert.Single(live.Events, e => e.Name == "exception");
        Assert.Equal(typeof(InvalidOperationException).FullName, exception.Tags.Single(t => t.Key == "exception.type").Value);
        Assert.DoesNotContain(exception.Tags, t => t.Key == "exception.message");
    }

    [Fact]
    public void The_id_mapping_round_trips_and_the_state_entry_is_read_strictly()
    {
        for (var i = 0; i < 100; i++)
        {
            var w3c = ActivityTraceId.CreateRandom();
            var trace = Propagation.TraceFrom(w3c);
            Assert.Equal(w3c, Propagation.ToW3C(trace));
            Assert.Equal(w3c.ToHexString(), trace.Value.ToString("N"));
            var spanW3c = ActivitySpanId.CreateRandom();
            var span = Propagation.SpanFrom(spanW3c, trace);
            Assert.Equal(spanW3c, Propagation.ToW3C(span));
            var minted = Propagation.NewSpan(trace);
            Assert.Equal(trace.Value.ToString("N")[16..], minted.Value.ToString("N")[16..]);
            Assert.Equal(minted, Propagation.SpanFrom(Propagation.ToW3C(minted), trace));

            var entry = Propagation.StateEntry(trace, span);
            Assert.True(Propagation.TryRead("other=1," + entry + ",x=y", out var readTrace, out var readSpan));
            Assert.Equal(trace, readTrace);
            Assert.Equal(span, readSpan);
        }
        Assert.False(Propagation.TryRead(null, out _, out _));
        Assert.False(Propagation.TryRead("pandaprobe=xyz", out _, out _));
        Assert.False(Propagation.TryRead("pandaprobe=" + new string('0', 32), out _, out _));
        Assert.False(Propagation.TryRead("pandaprobe=" + new string('A', 32), out _, out _));
        Assert.False(Propagation.TryRead("notpandaprobe=" + new string('a', 32), out _, out _));
        Assert.True(Propagation.TryRead("pandaprobe=" + new string('a', 32), out var only, out var none));
        Assert.Null(none);
        Assert.Equal(new string('a', 32), only.Value.ToString("N"));
        Assert.Equal("pandaprobe=1,a=b", Propagation.WithEntry("a=b, pandaprobe=2", "pandaprobe=1"));
    }

    /// <summary>Whether the live source has listeners now (other test classes do not listen to it).</summary>
    static class LiveActivityProbe
    {
        public static bool HasListeners => Internal.LiveActivity.Source.HasListeners();
    }
}
