using PandaProbe.Internal;
using PandaProbe.Model;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Facade;

public class TraceArchiveTests
{
    static Trace Completed(string name, TraceId? parent = null) => new()
    {
        Id = TraceId.New(),
        Name = name,
        StartedAt = DateTimeOffset.UnixEpoch,
        EndedAt = DateTimeOffset.UnixEpoch.AddSeconds(1),
        ParentTrace = parent is { } p ? Some(p) : None,
    };

    [Fact]
    public void Keeps_the_newest_traces_up_to_its_capacity()
    {
        var archive = new TraceArchive(2);
        var (a, b, c) = (Completed("a"), Completed("b"), Completed("c"));
        archive.Add(a);
        archive.Add(b);
        archive.Add(c);
        Assert.Null(archive.Find(a.Id));
        Assert.Same(b, archive.Find(b.Id));
        Assert.Same(c, archive.Find(c.Id));
    }

    [Fact]
    public async Task A_waiter_is_released_when_its_trace_arrives_and_times_out_otherwise()
    {
        var archive = new TraceArchive(4);
        var trace = Completed("late");
        var waiting = archive.WaitAsync(trace.Id, TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        archive.Add(Completed("other"));
        archive.Add(trace);
        Assert.Same(trace, await waiting);
        Assert.Null(await archive.WaitAsync(TraceId.New(), TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void Descendants_are_found_at_any_depth_in_completion_order()
    {
        var archive = new TraceArchive(8);
        var root = Completed("root");
        var first = Completed("first", root.Id);
        var grandchild = Completed("grandchild", first.Id);
        var second = Completed("second", root.Id);
        foreach (var t in new[] { grandchild, first, Completed("unrelated"), second, root }) archive.Add(t);
        Assert.Equal(["first", "second", "grandchild"], archive.Descendants(root.Id).Select(t => t.Name));
    }

    [Fact]
    public void A_zero_capacity_archive_keeps_nothing()
    {
        var archive = new TraceArchive(0);
        var t = Completed("t");
        archive.Add(t);
        Assert.Null(archive.Find(t.Id));
        Assert.Empty(archive.Descendants(t.Id));
    }
}
