using System.Collections.Concurrent;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// Port of the Python SDK's <c>test_tracing.py</c> (CONTRACT §4, §1.5). In the Probe collection because the warning
/// tests listen on the process-wide <see cref="SelfLog"/>.
/// </summary>
[Collection(ProbeCollection.Name)]
public class TracingContractTests
{
    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    [Fact]
    public async Task The_current_trace_is_set_inside_the_block_and_cleared_after()
    {
        await using var client = TestClient.Create(new RecordingExporter());
        Assert.Null(Probe.CurrentTrace);
        using (var trace = client.StartTrace("t"))
        {
            Assert.Same(trace, Probe.CurrentTrace);
        }
        Assert.Null(Probe.CurrentTrace);
    }

    [Fact]
    public async Task A_trace_input_that_is_not_messages_is_warned_about_and_stored_unchanged()
    {
        var (trace, warnings, health) = await RunWithSelfLog(client =>
        {
            using var t = client.StartTrace("plain-input", input: new { question = "What is 2+2?" });
            t.SetOutput(new { messages = new[] { new { role = "assistant", content = "4" } } });
            return t.TraceId;
        });
        var warning = Assert.Single(warnings);
        Assert.Contains("trace input", warning);
        Assert.Contains("is stored as-is", warning);
        Assert.Equal("""{"question":"What is 2+2?"}""", (trace.Input ?? Payload.Null).Value);
        Assert.Equal(1, health.MessageFormatWarnings);
    }

    [Fact]
    public async Task A_trace_output_that_is_not_messages_is_warned_about_and_stored_unchanged()
    {
        var (trace, warnings, health) = await RunWithSelfLog(client =>
        {
            using var t = client.StartTrace("plain-output", input: new { messages = new[] { new { role = "user", content = "Hi" } } });
            t.SetOutput("Hello there");
            return t.TraceId;
        });
        var warning = Assert.Single(warnings);
        Assert.Contains("trace output", warning);
        Assert.Equal(Payload.Text("Hello there"), (trace.Output ?? Payload.Null));
        Assert.Equal(1, health.MessageFormatWarnings);
        Assert.Equal("Hello there", JsonDocument.Parse(trace.ToJson()).RootElement.GetProperty("output").GetString());
    }

    [Fact]
    public async Task Two_sequential_spans_are_both_collected()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        {
            using (trace.Span("first")) { }
            using (trace.Span("second")) { }
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(new[] { "first", "second" }, t.Spans.Select(s => s.Name).ToArray());
        Assert.All(t.Spans, s => Assert.True(s.Parent is null));
    }

    [Fact]
    public async Task A_nested_span_has_the_enclosing_span_as_its_parent()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var outer = trace.Span("outer"))
        using (var inner = trace.Span("inner"))
        {
            Assert.Equal(outer.SpanId, inner.ParentId);
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(Named(t, "outer").Id, (Named(t, "inner").Parent ?? default(SpanId)));
        var json = JsonDocument.Parse(t.ToJson()).RootElement.GetProperty("spans");
        var innerJson = json.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "inner");
        Assert.Equal(Named(t, "outer").Id.ToString(), innerJson.GetProperty("parent_span_id").GetString());
    }

    [Fact]
    public async Task An_exception_in_a_trace_propagates_and_marks_it_ERROR_with_its_message()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var thrown = Assert.Throws<InvalidOperationException>(() =>
            client.Trace("failing", _ => throw new InvalidOperationException("test error")));
        Assert.Equal("test error", thrown.Message);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(TraceStatus.Error, t.Status);
        Assert.Equal("test error", (t.Error?.Message ?? ""));
        // Python keeps the message but never sends it (CONTRACT §7 defect 4); we send it as metadata.error.
        var body = JsonDocument.Parse(t.ToJson()).RootElement;
        Assert.Equal("ERROR", body.GetProperty("status").GetString());
        Assert.Equal("test error", body.GetProperty("metadata").GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_span_ending_cleanly_gets_start_and_end_times_and_status_OK()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        using (var span = trace.Span("work"))
        {
            Assert.Null(span.EndedAt);
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var s = Assert.Single(Assert.Single(exporter.Traces).Spans);
        Assert.Equal(SpanStatus.Ok, s.Status);
        Assert.True(s.EndedAt is not null);
        Assert.True((s.EndedAt ?? DateTimeOffset.MinValue) >= s.StartedAt);
        var json = JsonDocument.Parse(WireJson(s)).RootElement[0];
        Assert.Equal("OK", json.GetProperty("status").GetString());
        Assert.True(json.TryGetProperty("started_at", out _));
        Assert.True(json.TryGetProperty("ended_at", out _));
        Assert.False(json.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_span_failing_with_an_exception_is_ERROR_with_the_message()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t"))
        {
            Assert.Throws<ArgumentException>(() => trace.Span("work", SpanType.Tool, _ => throw new ArgumentException("span boom")));
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var t = Assert.Single(exporter.Traces);
        var s = Assert.Single(t.Spans);
        Assert.Equal(SpanStatus.Error, s.Status);
        Assert.True(s.EndedAt is not null);
        Assert.Equal("span boom", JsonDocument.Parse(WireJson(s)).RootElement[0].GetProperty("error").GetString());
        Assert.Equal(TraceStatus.Completed, t.Status); // the exception was caught inside the trace
    }

    [Fact]
    public async Task The_span_stack_is_empty_outside_and_at_the_start_of_a_trace_and_is_last_in_first_out()
    {
        await using var client = TestClient.Create(new RecordingExporter());
        Assert.Null(Probe.CurrentSpan);
        using var trace = client.StartTrace("t");
        Assert.Null(Probe.CurrentSpan);
        var a = trace.Span("a");
        Assert.Same(a, Probe.CurrentSpan);
        var b = trace.Span("b");
        Assert.Same(b, Probe.CurrentSpan);
        Assert.Equal(a.SpanId, b.ParentId);
        b.Dispose();
        Assert.Same(a, Probe.CurrentSpan);
        a.Dispose();
        Assert.Null(Probe.CurrentSpan);
        trace.Dispose();
        Assert.Null(Probe.CurrentTrace);
    }

    static string WireJson(Span s) => PandaProbe.Serialization.WireJson.Spans([s]);

    /// <summary>Runs <paramref name="body"/> on a fresh client while capturing SelfLog lines that name its trace.</summary>
    static async Task<(TraceRecord Trace, IReadOnlyList<string> Warnings, PandaProbe.Pipeline.PipelineHealth Health)> RunWithSelfLog(
        Func<PandaProbeClient, Guid> body)
    {
        var lines = new ConcurrentQueue<string>();
        var exporter = new RecordingExporter();
        SelfLog.Enable(lines.Enqueue);
        try
        {
            await using var client = TestClient.Create(exporter);
            var id = body(client);
            var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
            var trace = Assert.Single(exporter.Traces);
            Assert.Equal(id, trace.Id.Value);
            var warnings = lines.Where(l => l.Contains(id.ToString()) && l.Contains("messages convention")).ToArray();
            return (trace, warnings, result.Health);
        }
        finally
        {
            SelfLog.Disable();
        }
    }
}
