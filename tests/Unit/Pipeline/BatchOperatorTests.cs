using PandaProbe.Model;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Pipeline;

/// <summary>The batch operator on its own, its output observed directly, on virtual time.</summary>
public class BatchOperatorTests
{
    [Fact]
    public void A_flush_marker_follows_what_waited_before_it_not_what_came_after()
    {
        var scheduler = new CountingScheduler();
        var op = new BatchOperator(capacity: 1_000, batchSize: 2, interval: TimeSpan.FromHours(1), scheduler, dropped: _ => { });
        var seen = new List<Drained>();
        using var sub = op.Subscribe(System.Reactive.Observer.Create<Drained>(seen.Add));
        var before = Enumerable.Range(0, 3).Select(_ => PipelineTraces.Completed()).ToArray();
        foreach (var item in before) op.Add(item);
        var done = new TaskCompletionSource();
        op.Flush(done);
        for (var i = 0; i < 50; i++) op.Add(PipelineTraces.Completed());   // a steady load: the queue is not empty when the marker is due

        scheduler.RunDue();

        var marker = seen.FindIndex(d => d.Flush is not null);
        var itemsBefore = seen.Take(marker).SelectMany(d => d.Items).ToArray();
        Assert.Equal(before, itemsBefore.Take(3));
        Assert.InRange(itemsBefore.Length, 3, 4);          // the batch holding the third item, and no later one
        Assert.True(done.Task.IsCompleted is false);      // the marker completes when the lanes settle it, not here
        Assert.Equal(52, seen.Sum(d => d.Items.Length));  // everything else leaves in full batches,
        scheduler.AdvanceBy(TimeSpan.FromHours(1));
        Assert.Equal(53, seen.Sum(d => d.Items.Length));  // and the last one after the interval
    }

    [Fact]
    public void A_flush_whose_items_were_dropped_from_a_full_queue_still_gets_its_marker()
    {
        var scheduler = new CountingScheduler();
        var dropped = 0;
        var op = new BatchOperator(capacity: 4, batchSize: 100, interval: TimeSpan.FromHours(1), scheduler, dropped: _ => dropped++);
        var seen = new List<Drained>();
        using var sub = op.Subscribe(System.Reactive.Observer.Create<Drained>(seen.Add));
        for (var i = 0; i < 4; i++) op.Add(PipelineTraces.Completed());
        op.Flush(new TaskCompletionSource());
        for (var i = 0; i < 4; i++) op.Add(PipelineTraces.Completed());       // pushes out the four the flush waited for

        scheduler.RunDue();

        Assert.Equal(4, dropped);
        Assert.Contains(seen, d => d.Flush is not null);
    }
}
