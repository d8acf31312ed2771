using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Batching;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

public class TracePipelineTests
{
    static TraceEvent[] OneTrace(TraceId id, DateTimeOffset at) =>
    [
        new TraceEvent.TraceStarted(id, "t", at),
        new TraceEvent.TraceEnded(id, at.AddMilliseconds(5)),
    ];

    static async Task Eventually(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            cts.Token.ThrowIfCancellationRequested();
            await Task.Yield();
            Thread.Sleep(1);
        }
    }

    [Fact]
    public async Task Pending_items_are_exported_when_the_flush_interval_passes_without_a_flush()
    {
        var time = new ManualTimeProvider();
        var exporter = new InMemoryTraceExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 10, flushInterval: TimeSpan.FromSeconds(5)), time);
        for (var i = 0; i < 3; i++)
            foreach (var e in OneTrace(TraceId.New(), time.GetUtcNow())) pipeline.Post(e);

        await Eventually(() => pipeline.Counters.Snapshot().TracesCompleted == 3);
        Assert.Empty(exporter.Traces);
        time.Advance(TimeSpan.FromSeconds(5));
        var traces = await exporter.WaitForTracesAsync(3, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.Equal(3, traces.Count);
        Assert.Equal(1, exporter.ExportCalls);
    }

    [Fact]
    public async Task A_full_batch_is_exported_at_once_and_batches_never_exceed_the_batch_size()
    {
        var time = new ManualTimeProvider();
        var exporter = new RecordingExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 4, flushInterval: TimeSpan.FromHours(1)), time);
        for (var i = 0; i < 8; i++)
            foreach (var e in OneTrace(TraceId.New(), time.GetUtcNow())) pipeline.Post(e);

        await Eventually(() => exporter.Traces.Count == 8);
        Assert.All(exporter.Batches, b => Assert.True(b.Count <= 4));
    }

    [Fact]
    public async Task Flush_exports_everything_posted_before_it_in_order_and_reports_counts()
    {
        var exporter = new RecordingExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 3, flushInterval: TimeSpan.FromHours(1)));
        var ids = Enumerable.Range(0, 7).Select(_ => TraceId.New()).ToArray();
        foreach (var id in ids)
            foreach (var e in OneTrace(id, DateTimeOffset.UtcNow)) pipeline.Post(e);

        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Completed);
        Assert.Equal(ids, exporter.Traces.Select(t => t.Id));
        Assert.Equal(7, result.Exported);
        Assert.Equal(0, result.Pending);
        Assert.Equal(14, result.Health.EventsPosted);
    }

    [Fact]
    public async Task A_full_inbox_drops_new_events_and_counts_them_without_blocking()
    {
        var exporter = new RecordingExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(eventQueueCapacity: 16));
        // One reader folds while this thread posts as fast as it can into a 16-event inbox.
        var accepted = 0;
        for (var i = 0; i < 100_000; i++)
            if (pipeline.Post(new TraceEvent.TraceStarted(TraceId.New(), "t", DateTimeOffset.UtcNow))) accepted++;
        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(30));
        var dropped = result.Health.DroppedByReason[DropReason.InboxFull];
        Assert.Equal(100_000, accepted + dropped);
        Assert.Equal(accepted, result.Health.EventsPosted);
    }

    [Fact]
    public async Task When_the_export_queue_is_full_the_oldest_item_is_dropped_and_counted()
    {
        var release = new TaskCompletionSource();
        var exporter = new BlockingExporter(release.Task);
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 1, maxQueueSize: 2, flushInterval: TimeSpan.FromHours(1)));
        var ids = Enumerable.Range(0, 6).Select(_ => TraceId.New()).ToArray();
        foreach (var id in ids)
            foreach (var e in OneTrace(id, DateTimeOffset.UtcNow)) pipeline.Post(e);
        await Eventually(() => pipeline.Counters.Snapshot().TracesCompleted == 6);
        release.SetResult();
        var result = await pipeline.ShutdownAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.Completed);
        var exported = exporter.Seen.Select(t => t.Id).ToArray();
        Assert.Equal(6, exported.Length + result.Health.DroppedByReason[DropReason.ExportQueueFull]);
        Assert.True(result.Health.DroppedByReason[DropReason.ExportQueueFull] >= 3);
        Assert.Equal(ids[^1], exported[^1]);   // the newest survives; the oldest made room
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_loses_values_counted_as_its_own_drops_and_export_is_unaffected()
    {
        var exporter = new RecordingExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(subscriberQueueCapacity: 4));
        var gate = new ManualResetEventSlim();
        var delivered = 0;
        using var sub = pipeline.CompletedTraces.Subscribe(_ => { gate.Wait(TimeSpan.FromSeconds(10)); Interlocked.Increment(ref delivered); });
        for (var i = 0; i < 50; i++)
            foreach (var e in OneTrace(TraceId.New(), DateTimeOffset.UtcNow)) pipeline.Post(e);
        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(30));
        gate.Set();
        Assert.True(result.Completed);
        Assert.Equal(50, exporter.Traces.Count);
        Assert.Equal(0, result.Health.DroppedByReason[DropReason.ExportQueueFull]);
        var lost = result.Health.DroppedByReason[DropReason.SubscriberQueueFull];
        Assert.InRange(lost, 50 - 4 - 1, 50 - 4);   // at most one value in the subscriber's hands, four queued
        await Eventually(() => Volatile.Read(ref delivered) == 50 - lost);
    }

    [Fact]
    public async Task Shutdown_with_a_hung_exporter_returns_at_the_deadline_and_counts_what_was_left()
    {
        var exporter = new BlockingExporter(new TaskCompletionSource().Task);
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 1, flushInterval: TimeSpan.FromHours(1)));
        for (var i = 0; i < 3; i++)
            foreach (var e in OneTrace(TraceId.New(), DateTimeOffset.UtcNow)) pipeline.Post(e);
        var result = await pipeline.ShutdownAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(result.Completed);
        await Eventually(() => pipeline.Counters.Snapshot() is var h && h.Failed + h.DroppedByReason[DropReason.ShutdownDeadline] == 3);
    }

    [Theory]
    [InlineData(0, 10, 0, 5, false, 0)]
    [InlineData(3, 10, 1, 5, false, 0)]
    [InlineData(3, 10, 5, 5, false, 3)]
    [InlineData(12, 10, 0, 5, false, 10)]
    [InlineData(3, 10, 0, 5, true, 3)]
    public void BatchPolicy_cuts_on_size_interval_or_drain(int pending, int size, int sinceSeconds, int intervalSeconds, bool draining, int take)
    {
        var d = BatchPolicy.Decide(pending, size, TimeSpan.FromSeconds(sinceSeconds), TimeSpan.FromSeconds(intervalSeconds), draining);
        Assert.Equal(take, d.Take);
        if (take == 0 && pending > 0) Assert.Equal(TimeSpan.FromSeconds(intervalSeconds - sinceSeconds), d.Wait);
    }

    sealed class BlockingExporter(Task release) : ITraceExporter
    {
        readonly List<Trace> seen = [];
        public string Name => "blocking";
        public IReadOnlyList<Trace> Seen { get { lock (seen) return seen.ToArray(); } }
        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            lock (seen) seen.AddRange(batch.Traces);
            return ExportResult.Success(batch.Count);
        }
    }
}
