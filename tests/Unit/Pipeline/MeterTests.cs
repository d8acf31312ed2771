using System.Diagnostics.Metrics;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Pipeline;

/// <summary>The <c>PandaProbe</c> meter publishes the same counter set that <c>Health</c> and flush results read.</summary>
public class MeterTests
{
    [Fact]
    public async Task The_meter_reads_what_Health_says()
    {
        var failing = 0;
        var exporter = new RecordingExporter { Behaviour = b => Interlocked.Increment(ref failing) % 2 == 0 ? ExportResult.Failure(b.Count, "nope") : ExportResult.Success(b.Count) };
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 1, maxQueueSize: 100));
        var measurements = new Dictionary<(string, string?), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, pipeline.Meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags) if (tag.Key == "reason") reason = tag.Value as string;
            lock (measurements) measurements[(instrument.Name, reason)] = value;   // observable: the latest total
        });
        listener.Start();

        for (var i = 0; i < 10; i++)
        {
            var id = TraceId.New();
            pipeline.Start(new TraceStarted(id, "t", DateTimeOffset.UtcNow))!.Raise(new TraceEnded(id, DateTimeOffset.UtcNow));
        }
        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Completed);
        Assert.Equal(PipelineCounters.MeterName, pipeline.Meter.Name);
        listener.RecordObservableInstruments();

        var health = pipeline.Counters.Snapshot();
        Assert.Equal(10, health.TracesCompleted);
        Assert.Equal(5, health.Exported);
        Assert.Equal(5, health.Failed);
        lock (measurements)
        {
            Assert.Equal(health.TracesCompleted, measurements[("pandaprobe.traces.completed", null)]);
            Assert.Equal(health.Exported, measurements[("pandaprobe.items.exported", null)]);
            Assert.Equal(health.Failed, measurements[("pandaprobe.items.failed", null)]);
            Assert.Equal(health.DroppedByReason[DropReason.ExportFailed], measurements[("pandaprobe.items.dropped", "export_failed")]);
            Assert.Equal(0, measurements[("pandaprobe.items.pending", null)]);
        }
        await pipeline.ShutdownAsync(TimeSpan.FromSeconds(10));
    }
}
