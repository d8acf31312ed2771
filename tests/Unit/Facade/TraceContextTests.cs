using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Facade;

public class TraceContextTests
{
    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    [Fact]
    public async Task SetName_replaces_the_name_until_the_end_and_not_after()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var trace = client.StartTrace("orchestrate_tools");
        trace.SetName("Weather in Oslo?");
        Assert.Equal("Weather in Oslo?", trace.Name);
        trace.End();
        trace.SetName("too late");   // refused and counted: the trace has ended
        await client.FlushAsync();

        Assert.Equal("Weather in Oslo?", Assert.Single(exporter.Traces).Name);
        Assert.Equal(1, client.Health.Rejections.Values.Sum());
    }

    [Fact]
    public async Task Nested_spans_are_parented_to_the_enclosing_span_and_end_OK()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        Guid traceId;
        using (var trace = client.StartTrace("pipeline", input: "question"))
        {
            traceId = trace.TraceId;
            using (var agent = trace.Span("agent", SpanType.Agent))
            {
                using (var llm = trace.Span("llm-call", SpanType.Llm, model: "gpt-4o"))
                {
                    llm.SetTokenUsage(promptTokens: 10, completionTokens: 5);
                    llm.SetCost(0.002);
                }
                using (trace.Span("tool-call", SpanType.Tool)) { }
            }
            trace.SetOutput("answer");
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Completed);
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(traceId, t.Id.Value);
        Assert.Equal(TraceStatus.Completed, t.Status);
        Assert.Equal(3, t.Spans.Count);
        var agentSpan = Named(t, "agent");
        Assert.True(agentSpan.Parent is null);
        Assert.Equal(agentSpan.Id, (Named(t, "llm-call").Parent ?? default(SpanId)));
        Assert.Equal(agentSpan.Id, (Named(t, "tool-call").Parent ?? default(SpanId)));
        Assert.All(t.Spans, s => Assert.Equal(SpanStatus.Ok, s.Status));
        Assert.Equal(10, (Named(t, "llm-call").Tokens?.Prompt ?? -1));
        Assert.Equal(0.002, (Named(t, "llm-call").Cost?.Total ?? -1));
        Assert.Equal("gpt-4o", (Named(t, "llm-call").Model ?? ""));
        Assert.Equal(Payload.Text("question"), (t.Input ?? Payload.Null));
        Assert.Equal(Payload.Text("answer"), (t.Output ?? Payload.Null));
        Assert.Equal(1, result.Health.Exported);
        Assert.Equal(0, result.Dropped);
    }

    [Fact]
    public async Task An_exception_in_the_delegate_form_marks_span_and_trace_ERROR_and_propagates_unchanged()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var boom = new InvalidOperationException("Something went wrong");

        var thrown = Assert.Throws<InvalidOperationException>(() =>
            client.Trace("risky-operation", trace =>
                trace.Span("might-fail", SpanType.Llm, _ => throw boom)));

        Assert.Same(boom, thrown);
        Assert.Contains(nameof(An_exception_in_the_delegate_form_marks_span_and_trace_ERROR_and_propagates_unchanged), thrown.StackTrace);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(TraceStatus.Error, t.Status);
        Assert.Equal("Something went wrong", (t.Error?.Message ?? ""));
        var span = Assert.Single(t.Spans);
        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("Something went wrong", (span.Error?.Message ?? ""));
        Assert.Equal(typeof(InvalidOperationException).FullName, span.Error?.Type ?? "");
    }

    [Fact]
    public async Task The_exception_filter_idiom_records_without_catching()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        {
            Assert.Throws<TimeoutException>(() =>
            {
                using var span = trace.Span("retrieve", SpanType.Retriever);
                try { throw new TimeoutException("store timed out"); }
                catch (Exception e) when (span.Fail(e)) { }
            });
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var span = Assert.Single(Assert.Single(exporter.Traces).Spans);
        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("store timed out", (span.Error?.Message ?? ""));
        Assert.Equal(TraceStatus.Completed, exporter.Traces[0].Status);
    }

    [Fact]
    public async Task Async_delegate_forms_record_errors_and_return_values()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var value = await client.TraceAsync("async", async trace =>
        {
            var r = await trace.SpanAsync("compute", SpanType.Tool, async span => { await Task.Yield(); return 42; });
            await Assert.ThrowsAsync<ArgumentException>(() =>
                trace.SpanAsync("bad", SpanType.Tool, async _ => { await Task.Yield(); throw new ArgumentException("nope"); }));
            return r;
        });
        Assert.Equal(42, value);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(SpanStatus.Ok, Named(t, "compute").Status);
        Assert.Equal(SpanStatus.Error, Named(t, "bad").Status);
    }

    [Fact]
    public void Unknown_kind_strings_are_an_ArgumentException_and_known_ones_parse()
    {
        using var client = TestClient.Create(new RecordingExporter());
        using var trace = client.StartTrace("t");
        Assert.Throws<ArgumentException>(() => trace.Span("x", SpanType.Parse("NOT-A-KIND")));
        using var span = trace.Span("x", SpanType.Parse("retriever"));
        Assert.Equal(SpanType.Retriever, span.Kind);
    }

    [Fact]
    public async Task Calls_after_end_and_double_dispose_never_throw_and_are_counted()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var trace = client.StartTrace("t");
        var span = trace.Span("s");
        span.Dispose();
        span.Dispose();
        span.SetOutput("late");
        trace.Dispose();
        trace.Dispose();
        trace.SetOutput("late");
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Single(exporter.Traces);
        Assert.Equal(1, result.Health.Rejections[RejectionReason.SpanNotOpen]);
        Assert.Equal(1, result.Health.Rejections[RejectionReason.UnknownTrace]);
        Assert.Equal(2, result.Health.DroppedByReason[DropReason.Rejected]);
    }

    [Fact]
    public async Task A_span_setter_after_the_whole_trace_finished_is_refused_as_a_span_that_is_not_open()
    {
        // The setter reaches the span's own cell, which its end closed; the trace itself has left the pipeline.
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var trace = client.StartTrace("t");
        var span = trace.Span("s");
        span.End();
        trace.End();
        span.SetModel("too late");
        span.SetTokenUsage(1, 2);
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Null(Assert.Single(Assert.Single(exporter.Traces).Spans).Model);
        Assert.Equal(2, result.Health.Rejections[RejectionReason.SpanNotOpen]);
        Assert.False(result.Health.Rejections.ContainsKey(RejectionReason.UnknownTrace));
    }

    [Fact]
    public async Task A_span_that_ends_after_its_trace_is_delivered_as_a_late_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var trace = client.StartTrace("t");
        var span = trace.Span("background", makeCurrent: false);
        trace.End();
        span.SetOutput("done");
        span.End();
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(Assert.Single(exporter.Traces).Spans);
        var late = Assert.Single(exporter.LateSpans);
        Assert.Equal(trace.TraceId, late.Trace.Value);
        Assert.Equal(Payload.Text("done"), (late.Output ?? Payload.Null));
        Assert.Equal(0, client.Health.Dropped);
    }

    [Fact]
    public async Task Disabled_clients_hand_out_no_op_contexts_that_accept_every_call()
    {
        await using var client = TestClient.Create(o => o.Enabled = false);
        Assert.False(client.IsEnabled);
        using var trace = client.StartTrace("t", input: new object());
        using var span = trace.Span("s", SpanType.Llm);
        span.SetTokenUsage(1, 2);
        span.SetCost(double.NaN);
        Assert.False(trace.IsRecording);
        Assert.False(span.IsRecording);
        Assert.Same(trace, client.StartTrace("other"));
        var result = await client.FlushAsync();
        Assert.True(result.Completed);
        Assert.Equal(0, result.Exported);
    }

    [Fact]
    public async Task Invalid_values_are_refused_at_the_setter_and_counted()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var span = trace.Span("s", SpanType.Llm))
        {
            span.SetCost(double.PositiveInfinity);
            span.SetTokenUsage(-1, 3);
            span.SetTokenUsage(4, 3, new Dictionary<string, long> { ["reasoning_tokens"] = 2 });
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.Health.DroppedByReason[DropReason.InvalidValue]);
        var s = Assert.Single(Assert.Single(exporter.Traces).Spans);
        Assert.True(s.Cost is null);
        Assert.Equal(2, (s.Tokens?["reasoning_tokens"] ?? 0));
    }

    [Fact]
    public async Task A_throwing_subscriber_never_stops_export_or_reaches_the_caller()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var seen = 0;
        using var bad = client.Events.Subscribe(_ => throw new InvalidOperationException("subscriber bug"));
        using var good = client.CompletedTraces.Subscribe(_ => Interlocked.Increment(ref seen));
        for (var i = 0; i < 3; i++)
            using (var t = client.StartTrace($"t{i}")) using (t.Span("s")) { }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, exporter.Traces.Count);
        await client.ShutdownAsync();
        Assert.Equal(3, Volatile.Read(ref seen));
        Assert.True(client.Health.SubscriberErrors >= 1);
        Assert.True(result.Completed);
    }

    [Fact]
    public async Task A_throwing_exporter_is_isolated_from_the_others_and_counted()
    {
        var good = new RecordingExporter();
        var bad = new RecordingExporter { Behaviour = _ => throw new IOException("disk gone") };
        await using var client = TestClient.Create(bad, good);
        using (client.StartTrace("t")) { }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Single(good.Traces);
        Assert.Equal(1, result.Health.Failed);
        Assert.Equal(1, result.Health.DroppedByReason[DropReason.ExportFailed]);
    }

    [Fact]
    public async Task Shutdown_drains_is_idempotent_and_a_later_trace_is_not_recorded_but_counted_as_dropped()
    {
        var exporter = new RecordingExporter();
        var client = TestClient.Create(exporter);
        for (var i = 0; i < 3; i++) using (client.StartTrace($"t{i}")) { }
        var first = await client.ShutdownAsync(TimeSpan.FromSeconds(10));
        var second = await client.ShutdownAsync(TimeSpan.FromSeconds(10));
        Assert.True(first.Completed);
        Assert.True(second.Completed);
        Assert.Equal(3, exporter.Traces.Count);
        Assert.Equal(1, exporter.ShutdownCalls);
        using (var after = client.StartTrace("after")) Assert.False(after.IsRecording);
        Assert.Equal(1, client.Health.DroppedByReason[DropReason.AfterShutdown]);
    }
}
