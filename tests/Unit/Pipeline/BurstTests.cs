using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

/// <summary>
/// Bursts never half-record a trace: 10,000 concurrent flows, three times, each a trace of nested spans; every
/// accepted trace is exported whole or counted as one lost trace, no exported span points at a parent that never
/// arrives, no trace stays open, and memory does not grow from burst to burst.
/// </summary>
[Collection(WholeProcessCollection.Name)]
public class BurstTests
{
    /// <summary>Checks each exported trace and keeps only counts and ids.</summary>
    sealed class CheckingExporter : ITraceExporter
    {
        readonly object gate = new();
        public readonly HashSet<TraceId> Ids = [];
        public readonly List<string> Problems = [];

        public string Name => "checking";

        public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            lock (gate)
            {
                foreach (var trace in batch.Traces)
                {
                    if (!Ids.Add(trace.Id)) Problems.Add($"trace {trace.Id} exported twice");
                    var spans = trace.Spans.Select(s => s.Id).ToHashSet();
                    foreach (var span in trace.Spans)
                        if (span.Parent is { } parent && !spans.Contains(parent))
                            Problems.Add($"span {span.Id} of trace {trace.Id} points at parent {parent}, which is not in it");
                    if (trace.Spans.Count != 3) Problems.Add($"trace {trace.Id} has {trace.Spans.Count} spans, not 3");
                }
                if (batch.LateSpans.Count > 0) Problems.Add($"{batch.LateSpans.Count} late spans");
            }
            return ValueTask.FromResult(ExportResult.Success(batch.Count));
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => default;
        public ValueTask ShutdownAsync(CancellationToken cancellationToken) => default;
    }

    static async Task Flow(PandaProbeClient client, int i)
    {
        using var trace = client.StartTrace($"flow {i}", input: new { i });
        using (var agent = trace.Span("agent", SpanType.Agent))
        {
            await Task.Yield();
            using (var tool = trace.Span("tool", SpanType.Tool, parent: agent))
            {
                tool.SetInput(i);
                await Task.Yield();
                tool.SetOutput(i * 2);
            }
            using (var llm = trace.Span("llm", SpanType.Llm, model: "gpt-4o", parent: agent))
            {
                await Task.Yield();
                llm.SetTokenUsage(10, 20);
            }
        }
        trace.SetOutput("done");
    }

    [Fact]
    public async Task Three_bursts_of_ten_thousand_flows_complete_every_trace_and_leave_memory_flat()
    {
        var exporter = new CheckingExporter();
        await using var client = TestClient.Create(o => o.FlushInterval = TimeSpan.FromMilliseconds(20), exporter);
        var heap = new List<long>();
        for (var burst = 0; burst < 3; burst++)
        {
            await Task.WhenAll(Enumerable.Range(burst * 10_000, 10_000).Select(i => Task.Run(() => Flow(client, i))));
            await client.FlushAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, client.OpenTraceCount);
            heap.Add(GC.GetTotalMemory(forceFullCollection: true));
        }

        var health = client.Health;
        Assert.Equal(30_000, health.TracesCompleted);
        // Each accepted trace is exported or counted as lost, one for one.
        Assert.Equal(30_000, exporter.Ids.Count + health.DroppedByReason[DropReason.ExportQueueFull]);
        Assert.Empty(exporter.Problems);
        Assert.Equal(0, health.Rejections.Values.Sum());
        // Flat: the third burst leaves no more than a few MB over the first (a pile-up of open traces would be tens).
        Assert.True(heap[2] - heap[0] < 8L << 20, $"heap after each burst: {string.Join(", ", heap)}");
    }
}
