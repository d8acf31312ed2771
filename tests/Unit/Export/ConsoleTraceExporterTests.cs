using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model.Summary;
using PandaProbe.Model;
using PandaProbe.Unit.Serialization;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Export;

public class ConsoleTraceExporterTests
{
    sealed class BrokenWriter : StringWriter
    {
        public override void Write(string? value) => throw new IOException("closed");
    }

    [Fact]
    public async Task Writes_the_span_tree_of_each_trace()
    {
        var writer = new StringWriter();
        var exporter = new ConsoleTraceExporter(writer);
        var rich = WireSamples.Rich();
        var result = await exporter.ExportAsync(ExportBatch.Of(rich), default);
        Assert.Equal(ExportResult.Success(1), result);
        Assert.Equal(TraceTree.Render(rich), writer.ToString());
        Assert.Contains("LLM Call: ", writer.ToString());
        Assert.Equal("console", exporter.Name);
    }

    [Fact]
    public async Task Child_runs_in_the_same_batch_are_nested_under_their_parent()
    {
        var writer = new StringWriter();
        var parent = WireSamples.Minimal() with { Name = "parent" };
        var child = WireSamples.Minimal() with
        {
            Id = new TraceId(Guid.NewGuid()), Name = "child", ParentTrace = parent.Id, StartedAt = parent.StartedAt.AddSeconds(1),
        };
        await new ConsoleTraceExporter(writer).ExportAsync(ExportBatch.Of(child, parent), default);
        Assert.Equal(TraceTree.Render(parent, [child]), writer.ToString());
    }

    [Fact]
    public async Task Late_spans_and_scores_get_one_line_each()
    {
        var writer = new StringWriter();
        var score = new Score(WireSamples.TraceA, "helpful", "true", ScoreDataType.Boolean, null, Map<string, Payload>());
        await new ConsoleTraceExporter(writer).ExportAsync(new ExportBatch([], [WireJsonTests.SomeSpan()], [score]), default);
        Assert.Equal(
            "— Late spans for trace 0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10: s\n" +
            "— Score helpful = true (BOOLEAN) for trace 0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10\n",
            writer.ToString());
    }

    [Fact]
    public async Task A_failing_writer_gives_a_failed_result()
    {
        var result = await new ConsoleTraceExporter(new BrokenWriter()).ExportAsync(ExportBatch.Of(WireSamples.Minimal()), default);
        Assert.Equal(1, result.Failed);
        Assert.Contains("closed", result.Error);
    }
}
