using PandaProbe.Cli.Files;
using PandaProbe.Exporters;
using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Cli.Tests.Files;

public class TraceFileReaderTests
{
    /// <summary>Two traces written by the SDK's own file exporter (a late span, a score) and a Save file.</summary>
    static async Task<(string ExporterFile, string SavedFile, Guid First, Guid Second)> WriteFiles(string dir)
    {
        var exporterFile = Path.Combine(dir, "traces.jsonl");
        await using var client = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(exporterFile) } });
        var first = client.StartTrace("first", input: "q1");
        var late = first.Span("late", SpanType.Tool);
        using (first.Span("generate", SpanType.Llm, model: "gpt-4o")) { }
        first.End();
        late.End();
        client.Score(first.TraceId, "quality", 0.5);
        var second = client.StartTrace("second");
        using (var s = second.Span("lookup", SpanType.Retriever)) s.SetError("not found");
        second.End();
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var savedFile = Path.Combine(dir, "saved.ndjson");
        Assert.True(second.Save(savedFile));
        return (exporterFile, savedFile, first.TraceId, second.TraceId);
    }

    [Fact]
    public async Task Reads_the_file_exporter_and_Save_formats_with_late_spans_joined_and_scores_beside()
    {
        var dir = Directory.CreateTempSubdirectory("pp-cli-");
        try
        {
            var (exporterFile, savedFile, first, second) = await WriteFiles(dir.FullName);
            var items = TraceFileReader.Read(exporterFile).ToList();
            Assert.Contains(items, i => i is LateSpansItem l && l.Trace.Value == first && l.Spans.Single().Name == "late");
            Assert.Contains(items, i => i is ScoreItem s && s.Score.Trace.Value == first);
            Assert.DoesNotContain(items, i => i is BadLine);

            var all = TraceCollection.Load([exporterFile, savedFile]);
            Assert.Empty(all.Problems);
            Assert.Equal(2, all.Traces.Count);   // the saved copy of "second" replaces the exported one
            var firstTrace = all.Traces.Single(t => t.Id.Value == first);
            Assert.Equal(["generate", "late"], firstTrace.Spans.Select(s => s.Name).Order());
            var saved = all.Traces.Single(t => t.Id.Value == second);
            Assert.Equal("not found", Assert.Single(saved.Spans).Error?.Message);
            Assert.Single(all.Scores);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task The_files_of_two_processes_merge_into_one_trace_by_their_ids()
    {
        var dir = Directory.CreateTempSubdirectory("pp-cli-");
        try
        {
            var upstreamFile = Path.Combine(dir.FullName, "upstream.jsonl");
            var downstreamFile = Path.Combine(dir.FullName, "downstream.jsonl");
            await using var upstream = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(upstreamFile) } });
            await using var downstream = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(downstreamFile) } });
            Guid traceId, callId;
            using (var trace = upstream.StartTrace("orchestrator"))
            {
                traceId = trace.TraceId;
                using var call = trace.Span("call-worker", SpanType.Tool);
                callId = call.SpanId;
                System.Diagnostics.ActivityContext.TryParse(call.TraceParent, call.TraceState, out var context);
                using var worker = downstream.StartTrace("worker", parentContext: context);
                using (worker.Span("step", SpanType.Chain)) { }
            }
            await downstream.FlushAsync(TimeSpan.FromSeconds(10));
            await upstream.FlushAsync(TimeSpan.FromSeconds(10));

            // Either order of files gives the same single trace: the worker under the call, its step under it.
            foreach (var order in new[] { new[] { upstreamFile, downstreamFile }, new[] { downstreamFile, upstreamFile } })
            {
                var all = TraceCollection.Load(order);
                var trace = Assert.Single(all.Traces);
                Assert.Equal(traceId, trace.Id.Value);
                Assert.Equal("orchestrator", trace.Name);
                var worker = trace.Spans.Single(s => s.Name == "worker");
                Assert.Equal(callId, worker.Parent?.Value);
                Assert.Equal(worker.Id, trace.Spans.Single(s => s.Name == "step").Parent);
            }
            // Without the upstream file the continuation is a trace of its own.
            var alone = Assert.Single(TraceCollection.Load([downstreamFile]).Traces);
            Assert.Equal("worker", alone.Name);
            Assert.Equal("step", Assert.Single(alone.Spans).Name);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void Bad_lines_are_reported_with_their_number_and_the_rest_is_still_read()
    {
        var good = """{"trace_id":"5f0c6b7e-1b2a-4c3d-8e9f-0a1b2c3d4e5f","name":"ok","started_at":"2026-01-01T00:00:00Z"}""";
        var text = string.Join('\n', "not json", good, """{"record":"nope"}""", "[1,2]", """{"trace_id":"5f0c6b7e""");
        var items = TraceFileReader.Read(new StringReader(text), lastLineComplete: false).ToList();
        Assert.Equal("ok", Assert.IsType<TraceItem>(items[1]).Trace.Name);
        var bad = items.OfType<BadLine>().ToList();
        Assert.Equal([1L, 3L, 4L, 5L], bad.Select(b => b.Line));
        Assert.All(bad.Take(3), b => Assert.False(b.Truncated));
        Assert.True(bad[3].Truncated);
        Assert.Contains("may still be being written", bad[3].Reason);
    }

    [Fact]
    public void A_missing_file_is_a_FileNotFoundException_naming_it() =>
        Assert.Contains("nope.jsonl", Assert.Throws<FileNotFoundException>(() => TraceFileReader.Read("nope.jsonl").ToList()).Message);
}
