using System.Text;
using System.Text.Json;
using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Serialization;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Export;

public sealed class FileTraceExporterTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "pandaprobe-file-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    static Span LateSpan(TraceId trace, string name) => WireJsonTests.SomeSpan() with { Id = SpanId.New(), Trace = trace, Name = name };

    [Fact]
    public async Task Each_trace_is_written_as_its_platform_body_on_its_own_line()
    {
        var path = Path.Combine(dir, "nested", "traces.jsonl");
        var exporter = new FileTraceExporter(path);
        var rich = WireSamples.Rich();
        var minimal = WireSamples.Minimal();

        var result = await exporter.ExportAsync(ExportBatch.Of(rich, minimal), CancellationToken.None);

        Assert.Equal(ExportResult.Success(2), result);
        Assert.Equal(path, exporter.Path);
        var text = File.ReadAllText(path);
        Assert.Equal(WireJson.Trace(rich) + "\n" + WireJson.Trace(minimal) + "\n", text);
    }

    [Fact]
    public async Task Exports_append_and_the_file_is_utf8_without_bom()
    {
        var path = Path.Combine(dir, "t.jsonl");
        var exporter = new FileTraceExporter(path);
        var trace = WireSamples.Minimal() with { Name = "héllo" };
        await exporter.ExportAsync(ExportBatch.Of(trace), CancellationToken.None);
        await exporter.ExportAsync(ExportBatch.Of(trace), CancellationToken.None);
        var bytes = File.ReadAllBytes(path);
        Assert.NotEqual(0xEF, bytes[0]);
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.All(lines[..2], l => Assert.Equal(WireJson.Trace(trace), l));
        Assert.DoesNotContain("\r", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Late_spans_and_scores_are_tagged_records_that_read_back()
    {
        var path = Path.Combine(dir, "t.jsonl");
        var exporter = new FileTraceExporter(path);
        var other = new TraceId(Guid.Parse("22222222-0000-4000-8000-000000000000"));
        Span[] late = [LateSpan(WireSamples.TraceA, "a1"), LateSpan(other, "b1"), LateSpan(WireSamples.TraceA, "a2")];
        var score = new Score(WireSamples.TraceA, "helpful", "true", ScoreDataType.Boolean, "thumbs up", Map<string, Payload>());

        var result = await exporter.ExportAsync(new ExportBatch([], late, [score]), CancellationToken.None);

        Assert.Equal(ExportResult.Success(4), result);
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(["record", "trace_id", "spans"], first.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("spans", first.RootElement.GetProperty("record").GetString());
        Assert.Equal(WireSamples.TraceA.ToString(), first.RootElement.GetProperty("trace_id").GetString());
        var spans = WireReader.ReadSpans(first.RootElement.GetProperty("spans").GetRawText(), WireSamples.TraceA);
        Assert.Equal(["a1", "a2"], spans.Select(s => s.Name));
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(other.ToString(), second.RootElement.GetProperty("trace_id").GetString());
        Assert.Equal(
            """{"record":"score","trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"helpful","value":"true","data_type":"BOOLEAN","source":"PROGRAMMATIC","reason":"thumbs up"}""",
            lines[2]);
        using var third = JsonDocument.Parse(lines[2]);
        Assert.Equal(score, WireReader.ReadScore(third.RootElement));
    }

    [Fact]
    public async Task An_empty_batch_writes_nothing()
    {
        var path = Path.Combine(dir, "t.jsonl");
        var result = await new FileTraceExporter(path).ExportAsync(ExportBatch.Empty, CancellationToken.None);
        Assert.Equal(ExportResult.Success(0), result);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task An_io_error_is_a_failed_result_not_an_exception()
    {
        Directory.CreateDirectory(dir);
        var blocker = Path.Combine(dir, "file");
        File.WriteAllText(blocker, "x");
        var exporter = new FileTraceExporter(Path.Combine(blocker, "sub", "t.jsonl"));

        var result = await exporter.ExportAsync(ExportBatch.Of(WireSamples.Minimal()), CancellationToken.None);

        Assert.False(result.IsSuccess);
        Assert.Equal(1, result.Failed);
        Assert.Contains("could not append", result.Error);
    }

    [Fact]
    public async Task A_directory_path_is_a_failed_result()
    {
        Directory.CreateDirectory(dir);
        var result = await new FileTraceExporter(dir).ExportAsync(ExportBatch.Of(WireSamples.Minimal()), CancellationToken.None);
        Assert.Equal(1, result.Failed);
    }

    [Fact]
    public void The_default_path_is_documented()
    {
        Assert.Equal("pandaprobe-traces.jsonl", FileTraceExporter.DefaultPath);
        Assert.Equal(FileTraceExporter.DefaultPath, new FileTraceExporter().Path);
        Assert.Equal("file", new FileTraceExporter("x.jsonl").Name);
    }

    [Fact]
    public async Task Written_lines_read_back_into_the_same_traces()
    {
        var path = Path.Combine(dir, "t.jsonl");
        var rich = WireSamples.Rich();
        await new FileTraceExporter(path).ExportAsync(ExportBatch.Of(rich), CancellationToken.None);
        WireReaderTests.AssertSameTrace(rich, WireReader.ReadTrace(File.ReadAllLines(path).Single()));
    }

    [Fact]
    public async Task A_cancelled_export_writes_nothing_and_fails()
    {
        var path = Path.Combine(dir, "t.jsonl");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var result = await new FileTraceExporter(path).ExportAsync(ExportBatch.Of(WireSamples.Minimal()), cts.Token);
        Assert.Equal(1, result.Failed);
        Assert.False(File.Exists(path));
    }
}
