using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Batching;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Pipeline;

public class TracePipelineTests
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Shuts a pipeline on virtual time down (its last drain runs when the clock is advanced).</summary>
    static async Task Stop(TracePipeline pipeline, CountingScheduler scheduler)
    {
        var stopping = pipeline.ShutdownAsync(TimeSpan.FromSeconds(10));
        scheduler.RunDue();
        Assert.True((await stopping).Completed);
    }

    static async Task Eventually(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            cts.Token.ThrowIfCancellationRequested();
            await Task.Delay(1);
        }
    }

    [Fact]
    public async Task An_idle_pipeline_schedules_nothing()
    {
        var scheduler = new CountingScheduler();
        var pipeline = new TracePipeline([new RecordingExporter()], PipelineOptions.Create(flushInterval: Interval), scheduler: scheduler);
        scheduler.AdvanceBy(TimeSpan.FromHours(1));
        Assert.Empty(scheduler.Scheduled);
        await Stop(pipeline, scheduler);
    }

    [Fact]
    public async Task A_lone_trace_is_exported_after_the_interval_and_the_export_side_wakes_only_for_that()
    {
        var scheduler = new CountingScheduler();
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 10, flushInterval: Interval), scheduler: scheduler);
        var id = PipelineTraces.OneTrace(pipeline, scheduler.Now);

        Assert.Equal(1, pipeline.Counters.Snapshot().TracesCompleted);    // folded on this thread, at once
        scheduler.AdvanceBy(Interval - TimeSpan.FromTicks(1));
        Assert.Empty(exporter.Batches);
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));

        Assert.Equal([id], exporter.Traces.Select(t => t.Id));
        Assert.Equal([Interval], scheduler.Scheduled);                   // one wake-up: the interval timer
        scheduler.AdvanceBy(TimeSpan.FromHours(1));
        Assert.Single(scheduler.Scheduled);                              // and nothing after it
        await Stop(pipeline, scheduler);
    }

    [Fact]
    public async Task A_full_batch_is_exported_at_once_without_waiting_for_the_interval()
    {
        var scheduler = new CountingScheduler();
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 4, flushInterval: Interval), scheduler: scheduler);
        var ids = Enumerable.Range(0, 4).Select(_ => PipelineTraces.OneTrace(pipeline, scheduler.Now)).ToArray();

        scheduler.RunDue();   // the clock does not move

        Assert.Equal(ids, exporter.Traces.Select(t => t.Id));
        Assert.Single(exporter.Batches);
        // The first trace armed the interval timer and the fourth woke the export side. The timer is left to lapse
        // (re-arming it per batch would cost a wake-up each time): it finds nothing waiting and is not armed again.
        Assert.Equal([Interval, TimeSpan.Zero], scheduler.Scheduled);
        scheduler.AdvanceBy(TimeSpan.FromHours(1));
        Assert.Single(exporter.Batches);
        Assert.Equal(2, scheduler.Scheduled.Count);
        await Stop(pipeline, scheduler);
    }

    [Fact]
    public async Task Under_a_burst_the_export_side_wakes_at_most_once_per_burst_gap_and_takes_every_full_batch()
    {
        var scheduler = new CountingScheduler();
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 2, flushInterval: Interval), scheduler: scheduler);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);           // a full batch: woken at once
        scheduler.RunDue();
        Assert.Equal(2, exporter.Traces.Count);

        for (var i = 0; i < 6; i++) PipelineTraces.OneTrace(pipeline, scheduler.Now);   // three more full batches within the gap
        Assert.Equal(3, scheduler.Scheduled.Count);                         // the timer, the first wake, one deferred wake
        Assert.InRange(scheduler.Scheduled[2], TimeSpan.FromTicks(1), BatchPolicy.BurstGap);
        scheduler.RunDue();
        Assert.Equal(2, exporter.Traces.Count);                              // nothing before the gap ends
        scheduler.AdvanceBy(BatchPolicy.BurstGap);

        Assert.Equal(8, exporter.Traces.Count);
        Assert.All(exporter.Batches, b => Assert.Equal(2, b.Count));
        await Stop(pipeline, scheduler);
    }

    [Theory]
    [InlineData(0.0, 10, 1.0)]
    [InlineData(0.25, 10, 0.75)]
    [InlineData(1.0, 10, 0.0)]
    [InlineData(50.0, 10, 0.0)]
    [InlineData(0.25, 500, 0.0)]
    public void BatchPolicy_defers_a_full_batch_wake_only_within_the_burst_gap_and_not_when_half_full(double sinceMs, int queued, double delayMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(delayMs), BatchPolicy.WakeDelay(TimeSpan.FromMilliseconds(sinceMs), queued, 1000));

    [Fact]
    public async Task A_wake_put_off_for_a_burst_is_brought_forward_when_the_queue_is_half_full()
    {
        var scheduler = new CountingScheduler();
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 2, maxQueueSize: 8, flushInterval: Interval), scheduler: scheduler);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        scheduler.RunDue();                                   // the first full batch, at once
        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);                    // a full batch within the gap: put off
        Assert.True(scheduler.Scheduled[^1] > TimeSpan.Zero);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        PipelineTraces.OneTrace(pipeline, scheduler.Now);                    // four waiting of eight: brought forward
        Assert.Equal(TimeSpan.Zero, scheduler.Scheduled[^1]);
        scheduler.RunDue();                                   // well before the gap ends

        Assert.Equal(6, exporter.Traces.Count);
        scheduler.AdvanceBy(BatchPolicy.BurstGap);            // the cancelled wake does not drain a second time
        Assert.Equal(6, exporter.Traces.Count);
        Assert.Equal(0, pipeline.Counters.Snapshot().DroppedByReason[DropReason.ExportQueueFull]);
        await Stop(pipeline, scheduler);
    }

    [Fact]
    public async Task Batches_never_exceed_the_batch_size_and_keep_the_order_of_completion()
    {
        var scheduler = new CountingScheduler();
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 4, flushInterval: Interval), scheduler: scheduler);
        var ids = Enumerable.Range(0, 10).Select(_ => PipelineTraces.OneTrace(pipeline, scheduler.Now)).ToArray();

        scheduler.RunDue();
        Assert.Equal(8, exporter.Traces.Count);           // two full batches at once; two traces wait for the interval
        scheduler.AdvanceBy(Interval);

        Assert.Equal(ids, exporter.Traces.Select(t => t.Id));
        Assert.All(exporter.Batches, b => Assert.True(b.Count <= 4));
        await Stop(pipeline, scheduler);
    }

    [Fact]
    public async Task Flush_exports_everything_completed_before_it_in_order_and_reports_counts()
    {
        var exporter = new RecordingExporter();
        await using var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 3, flushInterval: TimeSpan.FromHours(1)));
        var ids = Enumerable.Range(0, 7).Select(_ => PipelineTraces.OneTrace(pipeline, DateTimeOffset.UtcNow)).ToArray();

        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.True(result.Completed);
        Assert.Equal(ids, exporter.Traces.Select(t => t.Id));
        Assert.Equal(7, result.Health.Exported);   // full batches may have left before the flush: its own count can be less
        Assert.Equal(0, result.Pending);
        Assert.Equal(14, result.Health.EventsPosted);
    }

    [Fact]
    public async Task A_producer_calling_flat_out_never_has_a_trace_refused_and_a_slow_exporter_loses_the_oldest_items_counted()
    {
        var release = new TaskCompletionSource();
        var exporter = new BlockingExporter(release.Task);
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 10, maxQueueSize: 50, flushInterval: TimeSpan.FromHours(1)));
        const int Traces = 20_000;
        for (var i = 0; i < Traces; i++) PipelineTraces.OneTrace(pipeline, DateTimeOffset.UtcNow);

        var before = pipeline.Counters.Snapshot();
        Assert.Equal(Traces, before.TracesCompleted);                       // every trace was taken and completed
        Assert.Equal(0, before.Rejections.Values.Sum());
        release.SetResult();
        var result = await pipeline.ShutdownAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.Completed);
        var queueFull = result.Health.DroppedByReason[DropReason.ExportQueueFull];
        Assert.True(queueFull > 0);
        Assert.Equal(Traces, exporter.Seen.Count + queueFull);              // each one exported or counted
    }

    [Fact]
    public async Task When_the_export_queue_is_full_the_oldest_item_is_dropped_and_counted()
    {
        var release = new TaskCompletionSource();
        var exporter = new BlockingExporter(release.Task);
        var pipeline = new TracePipeline([exporter], PipelineOptions.Create(batchSize: 1, maxQueueSize: 2, flushInterval: TimeSpan.FromHours(1)));
        var ids = Enumerable.Range(0, 6).Select(_ => PipelineTraces.OneTrace(pipeline, DateTimeOffset.UtcNow)).ToArray();
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
        for (var i = 0; i < 50; i++) PipelineTraces.OneTrace(pipeline, DateTimeOffset.UtcNow);
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
        for (var i = 0; i < 3; i++) PipelineTraces.OneTrace(pipeline, DateTimeOffset.UtcNow);
        var result = await pipeline.ShutdownAsync(TimeSpan.FromMilliseconds(300));
        Assert.False(result.Completed);
        await Eventually(() => pipeline.Counters.Snapshot() is var h && h.Failed + h.DroppedByReason[DropReason.ShutdownDeadline] == 3);
    }

    [Fact]
    public async Task After_shutdown_nothing_is_folded_and_every_refusal_is_counted()
    {
        var exporter = new RecordingExporter();
        var pipeline = new TracePipeline([exporter]);
        var id = TraceId.New();
        var cell = pipeline.Start(new TraceStarted(id, "open at shutdown", DateTimeOffset.UtcNow))!;
        await pipeline.ShutdownAsync(TimeSpan.FromSeconds(10));

        cell.Raise(new TraceEnded(id, DateTimeOffset.UtcNow));
        Assert.Null(pipeline.Start(new TraceStarted(TraceId.New(), "late", DateTimeOffset.UtcNow)));

        Assert.Equal(2, pipeline.Counters.Snapshot().DroppedByReason[DropReason.AfterShutdown]);
        Assert.Empty(exporter.Traces);
    }

    [Theory]
    [InlineData(0, 10, false, false, 0)]
    [InlineData(3, 10, false, false, 0)]
    [InlineData(3, 10, true, false, 3)]
    [InlineData(3, 10, false, true, 3)]
    [InlineData(12, 10, false, false, 10)]
    [InlineData(12, 10, true, true, 10)]
    public void BatchPolicy_takes_a_full_batch_or_on_interval_or_drain_what_waits(int queued, int size, bool due, bool draining, int take) =>
        Assert.Equal(take, BatchPolicy.Take(queued, size, due, draining));

    [Theory]
    [InlineData(1, false, false, false, "Arm")]
    [InlineData(1, true, false, false, "Keep")]
    [InlineData(1, false, true, false, "Keep")]
    [InlineData(0, true, false, false, "Keep")]
    [InlineData(0, false, false, false, "Keep")]
    [InlineData(0, true, false, true, "Cancel")]
    [InlineData(3, false, false, true, "Keep")]
    public void BatchPolicy_arms_the_timer_for_waiting_items_and_lets_it_lapse(int queued, bool armed, bool exporting, bool closing, string move) =>
        Assert.Equal(move, BatchPolicy.Timer(queued, armed, exporting, closing).ToString());

    sealed class BlockingExporter(Task release) : ITraceExporter
    {
        readonly List<TraceRecord> seen = [];
        public string Name => "blocking";
        public IReadOnlyList<TraceRecord> Seen { get { lock (seen) return seen.ToArray(); } }
        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            lock (seen) seen.AddRange(batch.Traces);
            return ExportResult.Success(batch.Count);
        }
    }
}
