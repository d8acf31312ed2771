using System.Collections.Concurrent;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class OpenAiAgentsFacadeTests
{
    sealed class RecordingProcessor : ITraceProcessor
    {
        public readonly ConcurrentQueue<string> Calls = new();
        public readonly TaskCompletionSource<TraceRecord> Ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnTraceStart(TraceRecord trace) => Calls.Enqueue($"trace-start {trace.Name}");
        public void OnSpanStart(Span span) => Calls.Enqueue($"span-start {span.Name}");
        public void OnSpanEnd(Span span) => Calls.Enqueue($"span-end {span.Name}");
        public void OnTraceEnd(TraceRecord trace) { Calls.Enqueue($"trace-end {trace.Name}"); Ended.TrySetResult(trace); }
    }

    sealed class ThrowingProcessor : ITraceProcessor
    {
        public void OnSpanStart(Span span) => throw new InvalidOperationException("processor bug");
    }

    [Fact]
    public async Task Span_exposes_ids_times_and_error_like_the_agents_SDK()
    {
        var time = new ManualTime(RefData.T0);
        await using var client = TestClient.Create(o => o.TimeProvider = time, new RecordingExporter());
        using var trace = client.StartTrace("agent");
        var outer = trace.Span("outer", SpanType.Agent);
        var inner = trace.Span("inner", parent: outer, makeCurrent: false);
        var next = trace.Span("next");
        time.Advance(1);
        inner.SetError("rate limited", new Dictionary<string, object?> { ["status"] = 429 });
        inner.End();

        Assert.Equal(trace.TraceId, inner.TraceId);
        Assert.Equal(outer.SpanId, inner.ParentId);
        Assert.Equal(outer.SpanId, next.ParentId);            // "inner" was not made current
        Assert.Null(outer.ParentId);
        Assert.Equal(RefData.T0, inner.StartedAt);
        Assert.Equal(RefData.T0.AddSeconds(1), inner.EndedAt);
        Assert.Null(outer.EndedAt);
        Assert.Equal("rate limited", inner.Error?.Message);
        Assert.Equal("429", inner.Error?.Data["status"].ToJson());
    }

    [Fact]
    public void Spans_of_a_disabled_client_are_no_ops()
    {
        var trace = PandaProbeClient.Disabled.StartTrace("off");
        var span = trace.Span("s", makeCurrent: false);
        span.SetError("ignored", new Dictionary<string, object?> { ["k"] = 1 });
        span.End();
        Assert.False(span.IsRecording);
        Assert.Equal(Guid.Empty, span.SpanId);
        Assert.Null(span.Error);
        Assert.Null(span.EndedAt);
    }

    [Fact]
    public async Task Registered_processors_see_every_start_and_end_in_order_and_a_throwing_one_is_isolated()
    {
        var processor = new RecordingProcessor();
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(o =>
        {
            o.Processors.Add(new ThrowingProcessor());
            o.Processors.Add(processor);
        }, exporter);
        using (var trace = client.StartTrace("run"))
        using (var llm = trace.LlmCall("gpt-4o"))
            llm.SetTokenUsage(100, 50);

        await client.FlushAsync(TimeSpan.FromSeconds(10));   // processors see what the export side processes
        var ended = await processor.Ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { "trace-start run", "span-start gpt-4o", "span-end gpt-4o", "trace-end run" }, processor.Calls.ToArray());
        Assert.Equal(0.00075, (Assert.Single(ended.Spans).Cost?.Total ?? -1));   // processors see priced spans
        Assert.Single(exporter.Traces);
    }
}
