using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Pipeline;

/// <summary>
/// The export composition's lanes, on virtual time: each exporter delivers in its own lane, so a hung, slow or
/// throwing exporter costs the others nothing; flushes follow everything before them through every lane; shutdown
/// returns at its deadline whatever an exporter does.
/// </summary>
public class ExporterIsolationTests
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task An_exporter_that_never_completes_costs_the_others_nothing()
    {
        var scheduler = new CountingScheduler();
        var time = new ManualTimeProvider();
        var hung = new HungExporter();
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([hung, recording], PipelineOptions.Create(batchSize: 2, flushInterval: Interval),
            time: time, scheduler: scheduler);
        var ids = Enumerable.Range(0, 10).Select(_ => PipelineTraces.OneTrace(pipeline, scheduler.Now)).ToArray();

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));   // every burst-gap wake-up has run

        Assert.Equal(ids, recording.Traces.Select(t => t.Id));    // all of them, in order
        Assert.Equal(1, hung.Calls);                               // the hung one holds its first batch only
        var health = pipeline.Counters.Snapshot();
        Assert.Equal(10, health.Pending);                          // counted once every exporter has settled them
        Assert.Equal(0, health.Exported);

        var flush = pipeline.FlushAsync(TimeSpan.FromSeconds(1));
        scheduler.RunDue();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False((await flush.WaitAsync(TimeSpan.FromSeconds(30))).Completed);   // the hung lane never reaches the marker

        var stopping = pipeline.ShutdownAsync(TimeSpan.FromMilliseconds(500));
        scheduler.RunDue();
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.False((await stopping.WaitAsync(TimeSpan.FromSeconds(30))).Completed);
    }

    [Fact]
    public async Task A_throwing_exporter_is_counted_and_the_other_still_delivers_every_batch()
    {
        var scheduler = new CountingScheduler();
        var throwing = new RecordingExporter { Behaviour = _ => throw new InvalidOperationException("boom") };
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([throwing, recording], PipelineOptions.Create(batchSize: 3, flushInterval: Interval), scheduler: scheduler);
        var ids = Enumerable.Range(0, 6).Select(_ => PipelineTraces.OneTrace(pipeline, scheduler.Now)).ToArray();

        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));

        Assert.Equal(ids, recording.Traces.Select(t => t.Id));
        var health = pipeline.Counters.Snapshot();
        Assert.Equal(6, health.Failed);          // the worst exporter decides, and each item is counted once
        Assert.Equal(0, health.Exported);
        Assert.Equal(0, health.Pending);
        var stopping = pipeline.ShutdownAsync(TimeSpan.FromSeconds(10));
        scheduler.RunDue();
        Assert.True((await stopping).Completed);
        Assert.Equal(1, recording.ShutdownCalls);
    }

    [Fact]
    public void A_hung_exporter_loses_only_its_own_oldest_batches_past_its_capacity()
    {
        var scheduler = new CountingScheduler();
        var hung = new HungExporter();
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([hung, recording], PipelineOptions.Create(batchSize: 1, maxQueueSize: 4, flushInterval: Interval),
            scheduler: scheduler);
        var ids = new List<TraceId>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(PipelineTraces.OneTrace(pipeline, scheduler.Now));
            scheduler.AdvanceBy(TimeSpan.FromMilliseconds(2));   // past the burst gap: each one leaves at once
        }

        Assert.Equal(ids, recording.Traces.Select(t => t.Id));
        var health = pipeline.Counters.Snapshot();
        Assert.Equal(20 - 1 - 4, health.DroppedByReason[DropReason.ExportQueueFull]);   // one in flight, four waiting
        Assert.Equal(5, health.Pending);
        Assert.Equal(0, health.Exported);
    }

    [Fact]
    public async Task Each_exporter_has_its_own_health_a_hung_and_a_throwing_one_unhealthy_the_other_healthy()
    {
        var scheduler = new CountingScheduler();
        var time = new ManualTimeProvider();
        var hung = new HungExporter();
        var throwing = new RecordingExporter { Behaviour = _ => throw new InvalidOperationException("boom") };
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([hung, throwing, recording], PipelineOptions.Create(batchSize: 2, flushInterval: Interval),
            time: time, scheduler: scheduler);
        for (var i = 0; i < 8; i++) PipelineTraces.OneTrace(pipeline, scheduler.Now);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(1));

        var byName = pipeline.Counters.Snapshot().Exporters;
        Assert.Equal(["hung", "recording", "recording"], byName.Select(e => e.Name));
        var (h, t, r) = (byName[0], byName[1], byName[2]);
        Assert.Equal(ExporterHealth.Condition.Healthy, r.State);
        Assert.Equal(new ExporterHealth.Counts(8, 0, 0, 0), r.Total);
        Assert.NotNull(r.LastSuccess);
        Assert.Null(r.LastFailure);

        Assert.Equal(ExporterHealth.Condition.Unhealthy, t.State);     // four deliveries in a row lost everything
        Assert.Equal(new ExporterHealth.Counts(0, 8, 0, 0), t.Total);
        Assert.Contains("boom", t.LastError);
        Assert.Null(t.LastSuccess);

        Assert.Equal(ExporterHealth.Condition.Healthy, h.State);       // holding one batch, not yet for long
        Assert.Equal(8, h.Pending);
        time.Advance(PipelineOptions.DefaultExportTimeout + TimeSpan.FromSeconds(1));
        var later = pipeline.Counters.Snapshot().Exporters[0];
        Assert.Equal(ExporterHealth.Condition.Unhealthy, later.State);
        Assert.Contains("longer than the export timeout", later.Problem);
    }

    [Fact]
    public async Task A_flush_reports_what_happened_during_it_and_names_the_exporter_that_missed_the_deadline()
    {
        var scheduler = new CountingScheduler();
        var time = new ManualTimeProvider();
        var gate = new TaskCompletionSource();
        var slow = new GatedExporter(gate.Task);
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([slow, recording], PipelineOptions.Create(batchSize: 100, flushInterval: Interval),
            time: time, scheduler: scheduler);

        for (var i = 0; i < 3; i++) PipelineTraces.OneTrace(pipeline, scheduler.Now);
        var late = pipeline.FlushAsync(TimeSpan.FromSeconds(1));
        scheduler.RunDue();
        time.Advance(TimeSpan.FromSeconds(1));
        var missed = await late.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(missed.Completed);
        Assert.Equal(["gated"], missed.Unfinished);
        Assert.Equal(0, missed.Exported);          // the batch is not counted until every exporter settled it

        var flushing = pipeline.FlushAsync(TimeSpan.FromHours(1));
        scheduler.RunDue();
        gate.SetResult();   // the batch is delivered during this flush
        var first = await flushing.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(first.Completed);
        Assert.Empty(first.Unfinished);
        Assert.Equal(3, first.Exported);

        for (var i = 0; i < 2; i++) PipelineTraces.OneTrace(pipeline, scheduler.Now);
        var second = pipeline.FlushAsync(TimeSpan.FromHours(1));
        scheduler.RunDue();
        var result = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.Exported);          // this flush's, not the total
        Assert.Equal(5, result.Health.Exported);   // the total stays in Health

        PipelineTraces.OneTrace(pipeline, scheduler.Now);
        scheduler.AdvanceBy(Interval + TimeSpan.FromSeconds(1));   // the interval's wake-up sends it
        var recorded = pipeline.Counters.Snapshot().Exporters[1];
        Assert.Equal(6, recorded.Total.Exported);
        Assert.Equal(1, recorded.SinceFlush.Exported);   // since the last flush's marker passed its lane
    }

    [Fact]
    public async Task A_flush_returns_once_every_exporter_has_what_was_completed_before_it()
    {
        var scheduler = new CountingScheduler();
        var gate = new TaskCompletionSource();
        var slow = new GatedExporter(gate.Task);
        var recording = new RecordingExporter();
        var pipeline = new TracePipeline([slow, recording], PipelineOptions.Create(batchSize: 100, flushInterval: Interval), scheduler: scheduler);
        var ids = Enumerable.Range(0, 3).Select(_ => PipelineTraces.OneTrace(pipeline, scheduler.Now)).ToArray();

        var flush = pipeline.FlushAsync(TimeSpan.FromHours(1));
        scheduler.RunDue();
        Assert.Equal(ids, recording.Traces.Select(t => t.Id));
        Assert.False(flush.IsCompleted);                 // the slow exporter has not finished the batch

        gate.SetResult();
        var result = await flush.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Completed);
        Assert.Equal(3, result.Exported);
        Assert.Equal(0, result.Pending);
        Assert.Equal(ids, slow.Traces.Select(t => t.Id));
    }

    [Fact]
    public async Task A_flush_with_nothing_pending_returns_at_once_and_schedules_nothing()
    {
        var scheduler = new CountingScheduler();
        var pipeline = new TracePipeline([new RecordingExporter()], PipelineOptions.Create(flushInterval: Interval), scheduler: scheduler);
        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(1));
        Assert.True(result.Completed);
        Assert.Empty(scheduler.Scheduled);
    }

    [Fact]
    public async Task Shutdown_returns_at_its_deadline_even_when_an_exporter_ignores_cancellation_and_counts_each_item_once()
    {
        var scheduler = new CountingScheduler();
        var time = new ManualTimeProvider();
        var hung = new HungExporter();
        var pipeline = new TracePipeline([hung], PipelineOptions.Create(batchSize: 1, flushInterval: Interval), time: time, scheduler: scheduler);
        for (var i = 0; i < 3; i++) PipelineTraces.OneTrace(pipeline, scheduler.Now);
        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10));

        var stopping = pipeline.ShutdownAsync(TimeSpan.FromMilliseconds(500));
        scheduler.RunDue();
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));     // the deadline: no grace period follows it

        var result = await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.Completed);
        var health = pipeline.Counters.Snapshot();
        Assert.Equal(3, health.DroppedByReason[DropReason.ShutdownDeadline]);   // one in flight, two waiting in its lane
        Assert.Equal(0, health.Pending);
        Assert.Equal(1, hung.Shutdowns);                   // still shut down (its replay stopped, its client released)
        hung.Release();                                    // the export ignoring cancellation ends late: not counted twice
        await Task.Delay(50);
        Assert.Equal(3, pipeline.Counters.Snapshot().DroppedByReason[DropReason.ShutdownDeadline]);
        Assert.Equal(0, pipeline.Counters.Snapshot().Exported);
    }

    [Fact]
    public void A_batch_one_exporter_failed_and_another_dropped_is_counted_once_by_the_worse_of_the_two()
    {
        var counters = new PipelineCounters();
        var delivery = PandaProbe.Pipeline.Delivery.OfBatch(ExportBatch.Of(Enumerable.Range(0, 10).Select(_ => PipelineTraces.Completed().Trace).ToArray()), lanes: 2, counters);
        Assert.Equal(10, counters.Snapshot().Pending);
        delivery.Settle(LaneOutcome.Of(ExportResult.Failure(10, "401"), 10));
        delivery.Settle(LaneOutcome.AllDropped(10, DropReason.ExportQueueFull));

        var health = counters.Snapshot();
        Assert.Equal(10, health.Failed + health.DroppedByReason[DropReason.ExportQueueFull]);   // not 20
        Assert.Equal(0, health.Exported);
        Assert.Equal(0, health.Pending);
    }

    /// <summary>Never completes an export by itself and ignores cancellation (until <see cref="Release"/>).</summary>
    sealed class HungExporter : ITraceExporter
    {
        readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls, shutdowns;
        public string Name => "hung";
        public int Shutdowns => Volatile.Read(ref shutdowns);
        public ValueTask ShutdownAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref shutdowns);
            return default;
        }
        public int Calls => Volatile.Read(ref calls);
        public void Release() => release.TrySetResult();
        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return ExportResult.Success(batch.Count);
        }
    }

    /// <summary>Exports once its gate opens.</summary>
    sealed class GatedExporter(Task gate) : ITraceExporter
    {
        readonly List<TraceRecord> traces = [];
        public string Name => "gated";
        public IReadOnlyList<TraceRecord> Traces { get { lock (traces) return traces.ToArray(); } }
        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken);
            lock (traces) traces.AddRange(batch.Traces);
            return ExportResult.Success(batch.Count);
        }
    }
}
