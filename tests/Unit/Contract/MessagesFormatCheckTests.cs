using PandaProbe.Messages;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Contract;

/// <summary>
/// The warn-only check run by the pipeline on each completed trace (CONTRACT §1.10: trace input and output, LLM span
/// input and output only; non-conforming values are sent unchanged; the check never raises).
/// </summary>
public class MessagesFormatCheckTests
{
    static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly Payload Conforming = Payload.Json("""{"messages":[{"role":"user","content":"hi"}]}""");

    static Span MakeSpan(TraceId trace, string name, SpanType kind, Payload? input, Payload? output) => new()
    {
        Id = SpanId.New(), Trace = trace, Name = name, Kind = kind, StartedAt = T0,
        Input = input is null ? null : input, Output = output is null ? null : output,
    };

    [Fact]
    public void Each_non_conforming_trace_or_LLM_span_value_gives_one_warning_naming_it()
    {
        var id = TraceId.New();
        var trace = new TraceRecord
        {
            Id = id, Name = "agent", StartedAt = T0, Input = Payload.Text("plain"), Output = Payload.Json("""{"answer":1}"""),
            Spans = Seq(
                MakeSpan(id, "llm", SpanType.Llm, Payload.Json("""{"messages":"x"}"""), Payload.Json("[1,2]")),
                MakeSpan(id, "tool", SpanType.Tool, Payload.Text("anything"), Payload.Json("42"))),
        };
        var warnings = new List<string>();
        Assert.Equal(4, MessagesFormatCheck.Check(trace, warnings.Add));
        Assert.Equal(4, warnings.Count);
        Assert.Contains("trace input", warnings[0]);
        Assert.Contains("got a string", warnings[0]);
        Assert.Contains("trace output", warnings[1]);
        Assert.Contains("'messages' key", warnings[1]);
        Assert.Contains("LLM span input", warnings[2]);
        Assert.Contains("span 'llm'", warnings[2]);
        Assert.Contains("LLM span output", warnings[3]);
        Assert.All(warnings, w => Assert.Contains("stored as-is", w));
        Assert.DoesNotContain(warnings, w => w.Contains("'tool'"));
    }

    [Fact]
    public void Conforming_null_and_unset_values_give_no_warning()
    {
        var id = TraceId.New();
        var trace = new TraceRecord
        {
            Id = id, Name = "ok", StartedAt = T0, Input = Conforming, Output = Payload.Null,
            Spans = Seq1(MakeSpan(id, "llm", SpanType.Llm, Conforming, null)),
        };
        var warnings = new List<string>();
        Assert.Equal(0, MessagesFormatCheck.Check(trace, warnings.Add));
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_throwing_warning_sink_is_ignored()
    {
        var trace = new TraceRecord { Id = TraceId.New(), Name = "t", StartedAt = T0, Input = Payload.Text("x") };
        Assert.Equal(1, MessagesFormatCheck.Check(trace, _ => throw new InvalidOperationException("sink bug")));
    }

    [Fact]
    public async Task The_pipeline_counts_warnings_without_changing_what_is_exported()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("t", input: "plain question"))
        {
            using (var llm = trace.Span("llm", SpanType.Llm))
            {
                llm.SetInput(new { messages = new[] { new { role = "user", content = "hi" } } });
                llm.SetOutput(new { text = "hello" });
            }
            using (var tool = trace.Span("tool", SpanType.Tool)) tool.SetOutput(new { text = "ignored" });
            trace.SetOutput(new { messages = new[] { new { role = "assistant", content = "hello" } } });
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, result.Health.MessageFormatWarnings); // trace input, LLM span output
        var t = Assert.Single(exporter.Traces);
        Assert.Equal(Payload.Text("plain question"), (t.Input ?? Payload.Null));
        Assert.Equal("""{"text":"hello"}""", (t.Spans.Single(s => s.Name == "llm").Output ?? Payload.Null).Value);
    }
}
