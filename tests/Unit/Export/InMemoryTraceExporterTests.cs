using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Serialization;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Export;

public class InMemoryTraceExporterTests
{
    static Score SomeScore() => new(WireSamples.TraceA, "q", "1", ScoreDataType.Numeric, null, Map<string, Payload>());

    [Fact]
    public async Task Records_every_item_in_order_and_counts_calls()
    {
        var exporter = new InMemoryTraceExporter();
        var a = WireSamples.Minimal();
        var b = WireSamples.Rich();
        var late = WireJsonTests.SomeSpan();
        Assert.Equal(ExportResult.Success(1), await exporter.ExportAsync(ExportBatch.Of(a), default));
        Assert.Equal(ExportResult.Success(3), await exporter.ExportAsync(new ExportBatch([b], [late], [SomeScore()]), default));
        Assert.Equal([a, b], exporter.Traces);
        Assert.Equal([late], exporter.LateSpans);
        Assert.Equal([SomeScore()], exporter.Scores);
        Assert.Equal(2, exporter.ExportCalls);
        Assert.Equal("memory", exporter.Name);
    }

    [Fact]
    public async Task The_lists_are_snapshots()
    {
        var exporter = new InMemoryTraceExporter();
        var before = exporter.Traces;
        await exporter.ExportAsync(ExportBatch.Of(WireSamples.Minimal()), default);
        Assert.Empty(before);
        Assert.Single(exporter.Traces);
    }

    [Fact]
    public async Task Clear_forgets_everything_recorded()
    {
        var exporter = new InMemoryTraceExporter();
        await exporter.ExportAsync(new ExportBatch([WireSamples.Minimal()], [WireJsonTests.SomeSpan()], [SomeScore()]), default);
        exporter.Clear();
        Assert.Empty(exporter.Traces);
        Assert.Empty(exporter.LateSpans);
        Assert.Empty(exporter.Scores);
        Assert.Equal(0, exporter.ExportCalls);
    }

    [Fact]
    public async Task Exports_after_shutdown_fail_so_lifecycle_bugs_show()
    {
        var exporter = new InMemoryTraceExporter();
        await exporter.ShutdownAsync(default);
        var result = await exporter.ExportAsync(ExportBatch.Of(WireSamples.Minimal(), WireSamples.Rich()), default);
        Assert.Equal(2, result.Failed);
        Assert.Contains("shut down", result.Error);
        Assert.Empty(exporter.Traces);
        Assert.Equal(1, exporter.ExportCalls);
        Assert.True(exporter.IsShutdown);
    }

    [Fact]
    public async Task Concurrent_exports_lose_nothing()
    {
        var exporter = new InMemoryTraceExporter();
        var trace = WireSamples.Minimal();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++) await exporter.ExportAsync(ExportBatch.Of(trace), default);
        })));
        Assert.Equal(2000, exporter.Traces.Count);
        Assert.Equal(2000, exporter.ExportCalls);
    }

    [Fact]
    public async Task WaitForTracesAsync_completes_when_enough_traces_arrived()
    {
        var exporter = new InMemoryTraceExporter();
        var wait = exporter.WaitForTracesAsync(2);
        await exporter.ExportAsync(ExportBatch.Of(WireSamples.Minimal()), default);
        Assert.False(wait.IsCompleted);
        await exporter.ExportAsync(ExportBatch.Of(WireSamples.Rich()), default);
        var traces = await wait;
        Assert.Equal(2, traces.Count);
        Assert.True(exporter.WaitUntilAsync(e => e.Traces.Count == 2).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_cancelled_wait_is_cancelled()
    {
        var exporter = new InMemoryTraceExporter();
        using var cts = new CancellationTokenSource();
        var wait = exporter.WaitUntilAsync(e => e.Scores.Count > 0, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}
