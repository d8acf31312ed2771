using System.Reactive.Linq;
using System.Reactive.Subjects;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

/// <summary>The lanes' operator: <c>Select(selector).Concat()</c> with a bounded, drop-oldest wait list.</summary>
public class ConcatBoundedTests
{
    sealed record Item(int N, int Weight = 1);

    [Fact]
    public void Inners_run_one_at_a_time_in_the_source_order()
    {
        var source = new Subject<Item>();
        var inners = new List<Subject<int>>();
        var seen = new List<int>();
        using var sub = source.ConcatBounded(i => { var s = new Subject<int>(); inners.Add(s); return s.StartWith(i.N * 10); },
            capacity: 10, weight: i => i.Weight, dropped: _ => throw new InvalidOperationException("nothing is dropped"))
            .Subscribe(seen.Add);

        source.OnNext(new Item(1));
        source.OnNext(new Item(2));
        source.OnNext(new Item(3));
        Assert.Single(inners);                 // the second waits for the first to complete
        Assert.Equal([10], seen);
        inners[0].OnCompleted();
        Assert.Equal(2, inners.Count);
        inners[1].OnNext(21);
        inners[1].OnCompleted();
        inners[2].OnCompleted();
        Assert.Equal([10, 20, 21, 30], seen);
    }

    [Fact]
    public void Past_its_capacity_the_oldest_waiting_value_is_dropped_and_one_of_zero_weight_never_is()
    {
        var source = new Subject<Item>();
        var running = new Subject<int>();
        var dropped = new List<int>();
        var started = new List<int>();
        using var sub = source.ConcatBounded(i => { started.Add(i.N); return i.N == 1 ? running : Observable.Empty<int>(); },
            capacity: 2, weight: i => i.Weight, dropped: i => dropped.Add(i.N)).Subscribe();

        source.OnNext(new Item(1));            // runs
        source.OnNext(new Item(2));            // waits
        source.OnNext(new Item(3, Weight: 0)); // a marker: never dropped, weighs nothing
        source.OnNext(new Item(4));            // waits: weight 2 of 2
        source.OnNext(new Item(5));            // over: the oldest of weight (2) makes room
        Assert.Equal([2], dropped);
        running.OnCompleted();
        Assert.Equal([1, 3, 4, 5], started);   // the marker kept its place
    }

    [Fact]
    public void Completion_waits_for_the_inners_and_synchronous_inners_do_not_recurse()
    {
        var completed = false;
        var seen = 0;
        using var sub = Observable.Range(0, 100_000).Select(n => new Item(n))
            .ConcatBounded(i => Observable.Return(i.N), capacity: 1_000_000, weight: _ => 1, dropped: _ => { })
            .Subscribe(_ => seen++, () => completed = true);
        Assert.Equal(100_000, seen);           // a recursive implementation would overflow the stack here
        Assert.True(completed);
    }

    [Fact]
    public async Task Disposing_cancels_the_running_inner_and_hands_every_waiting_value_to_dropped()
    {
        var source = new Subject<Item>();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = new List<int>();
        var sub = source.ConcatBounded(
            i => Observable.FromAsync(async ct =>
            {
                try { await Task.Delay(Timeout.Infinite, ct); }
                catch (OperationCanceledException) { cancelled.TrySetResult(); }
                return i.N;
            }),
            capacity: 10, weight: _ => 1, dropped: i => dropped.Add(i.N)).Subscribe();
        source.OnNext(new Item(1));
        source.OnNext(new Item(2));
        source.OnNext(new Item(3));

        sub.Dispose();

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([2, 3], dropped);
        source.OnNext(new Item(4));            // a value arriving after disposal is handed to dropped, not lost
        Assert.Equal([2, 3, 4], dropped);
    }
}
