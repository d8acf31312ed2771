using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

/// <summary>A trace nobody ends is closed after the abandonment time, marked, exported and counted; a busy one is not.</summary>
public class AbandonedTraceTests
{
    static async Task<TraceRecord?> Exported(InMemoryTraceExporter memory, TimeSpan bound)
    {
        var until = DateTime.UtcNow + bound;
        while (memory.Traces.Count == 0 && DateTime.UtcNow < until) await Task.Delay(20);
        return memory.Traces.FirstOrDefault();
    }

    [Fact]
    public async Task A_trace_nobody_ends_is_closed_marked_and_exported_with_its_open_spans_ended()
    {
        var memory = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o =>
        {
            o.AbandonedTraceTimeout = TimeSpan.FromMilliseconds(200);
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        }, memory);

        var trace = client.StartTrace("forgotten");
        var span = trace.Span("hung tool", SpanType.Tool);
        span.SetInput("in flight");
        // Neither is disposed: the application lost them.

        var exported = await Exported(memory, TimeSpan.FromSeconds(20));

        Assert.NotNull(exported);
        Assert.Equal(trace.TraceId, exported!.Id.Value);
        Assert.StartsWith("abandoned:", (exported.Error?.Message ?? ""));
        Assert.True(exported.Metadata.ContainsKey(Abandonment.MetadataKey));
        var closed = Assert.Single(exported.Spans);
        Assert.Equal(SpanStatus.Error, closed.Status);
        Assert.True(closed.EndedAt is not null);
        Assert.True(closed.Metadata.ContainsKey(Abandonment.MetadataKey));
        Assert.Equal(1, client.Health.Abandoned);
    }

    [Fact]
    public async Task A_trace_that_keeps_recording_is_never_closed_as_abandoned()
    {
        var memory = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o =>
        {
            o.AbandonedTraceTimeout = TimeSpan.FromMilliseconds(1500);
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        }, memory);

        using (var trace = client.StartTrace("busy"))
        {
            for (var i = 0; i < 60; i++)
            {
                using (trace.Span($"step {i}")) { }
                await Task.Delay(50);   // 3 s in all, twice the abandonment time, an event every 50 ms
            }
        }
        await client.FlushAsync();

        var exported = Assert.Single(memory.Traces);
        Assert.True(exported.Error is null);
        Assert.Equal(60, exported.Spans.Count);
        Assert.Equal(0, client.Health.Abandoned);
    }

    [Fact]
    public void Closing_events_end_every_open_span_before_the_trace()
    {
        var id = TraceId.New();
        var at = DateTimeOffset.UnixEpoch;
        var state = TraceReducer.Apply((OpenTrace?)null, new TraceEvent.TraceStarted(id, "t", at)).State!;
        var outer = SpanId.New();
        var inner = SpanId.New();
        state = TraceReducer.Apply(state, new TraceEvent.SpanStarted(id, outer, null, "outer", SpanType.Agent, at)).State!;
        state = TraceReducer.Apply(state, new TraceEvent.SpanStarted(id, inner, outer, "inner", SpanType.Tool, at)).State!;

        Output? last = null;
        foreach (var e in Abandonment.Close(state, at.AddMinutes(31), TimeSpan.FromMinutes(31)))
        {
            var step = TraceReducer.Apply(state, e);
            Assert.IsNotType<Output.Rejected>(step.Output);
            state = step.State!;
            last = step.Output ?? last;
            if (step.State is null) break;
        }

        var done = Assert.IsType<Output.TraceCompleted>(last).Trace;
        Assert.Equal(2, done.Spans.Count);
        Assert.All(done.Spans, s => Assert.Equal(Abandonment.Message(TimeSpan.FromMinutes(31)), (s.Error?.Message ?? "")));
    }
}
