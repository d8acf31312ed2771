using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Facade;

/// <summary>The functions on a completed <see cref="TraceRecord"/> and <see cref="TraceContext.Completed"/>.</summary>
public class CompletedTraceTests
{
    static TraceRecord Finished(PandaProbeClient client, out TraceContext context)
    {
        context = client.StartTrace("answer", input: "question");
        Assert.Null(context.Completed);                                   // open: nothing completed yet
        using (var llm = context.Span("generate", SpanType.Llm, model: "gpt-4o"))
        {
            llm.SetTokenUsage(promptTokens: 10, completionTokens: 5);
            llm.SetCost(0.002);
        }
        using (var tool = context.Span("lookup", SpanType.Tool)) tool.SetError("not found");
        context.End();
        return Assert.IsType<TraceRecord>(context.Completed);
    }

    [Fact]
    public void Completed_is_the_finished_trace_and_the_context_describes_it_through_the_same_functions()
    {
        using var client = TestClient.Create(new RecordingExporter());
        var trace = Finished(client, out var context);

        Assert.Equal(context.TraceId, trace.Id.Value);
        Assert.Equal(2, trace.Spans.Count);
        var (fromTrace, fromContext) = (trace.Summary(), context.Summary());
        Assert.Equal(fromTrace with { Models = fromContext.Models, Children = fromContext.Children }, fromContext);
        Assert.Equal(fromTrace.Models.Keys, fromContext.Models.Keys);
        Assert.Equal(1, fromTrace.ErrorCount);
        Assert.Equal(15, fromTrace.TotalTokens);
        Assert.Equal(trace.ToJson(), context.ToJson());
        var printed = new StringWriter();
        context.PrintTree(printed);
        Assert.Equal(trace.RenderTree(), printed.ToString());
        Assert.Contains("Tool Call: lookup", printed.ToString());
        Assert.Contains("ERROR: not found", printed.ToString());
    }

    [Fact]
    public void Ndjson_has_one_line_per_span_then_the_trace_without_its_spans()
    {
        using var client = TestClient.Create(new RecordingExporter());
        var trace = Finished(client, out _);

        var lines = trace.ToNdjson().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var spanNames = lines[..2].Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "generate", "lookup" }, spanNames);
        using var last = JsonDocument.Parse(lines[2]);
        Assert.Equal("answer", last.RootElement.GetProperty("name").GetString());
        Assert.False(last.RootElement.TryGetProperty("spans", out var spans) && spans.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Save_and_SaveAsync_write_the_ndjson_and_report_a_failure_as_false()
    {
        using var client = TestClient.Create(new RecordingExporter());
        var trace = Finished(client, out _);
        var dir = Directory.CreateTempSubdirectory("pp-save-");
        try
        {
            var path = Path.Combine(dir.FullName, "trace.ndjson");
            Assert.True(trace.Save(path));
            Assert.Equal(trace.ToNdjson(), File.ReadAllText(path));
            var asyncPath = Path.Combine(dir.FullName, "trace-async.ndjson");
            Assert.True(await trace.SaveAsync(asyncPath));
            Assert.Equal(trace.ToNdjson(), File.ReadAllText(asyncPath));

            var missingFolder = Path.Combine(dir.FullName, "no-such-folder", "trace.ndjson");
            Assert.False(trace.Save(missingFolder));
            Assert.False(await trace.SaveAsync(missingFolder));
        }
        finally { dir.Delete(recursive: true); }
    }
}
