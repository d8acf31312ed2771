using PandaProbe.Internal;
using PandaProbe.Model;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Facade;

public class TraceArchiveTests
{
    static TraceRecord Completed(string name, TraceId? parent = null) => new()
    {
        Id = TraceId.New(),
        Name = name,
        StartedAt = DateTimeOffset.UnixEpoch,
        EndedAt = DateTimeOffset.UnixEpoch.AddSeconds(1),
        ParentTrace = parent is { } p ? p : null,
    };

    [Fact]
    public void Keeps_the_newest_sub_agent_traces_up_to_its_capacity()
    {
        var archive = new TraceArchive(2);
        var parent = TraceId.New();
        var (a, b, c) = (Completed("a", parent), Completed("b", parent), Completed("c", parent));
        archive.Add(a);
        archive.Add(b);
        archive.Add(c);
        Assert.Null(archive.Find(a.Id));
        Assert.Same(b, archive.Find(b.Id));
        Assert.Same(c, archive.Find(c.Id));
    }

    [Fact]
    public void A_trace_without_a_parent_is_never_a_descendant_and_is_not_kept()
    {
        var archive = new TraceArchive(4);
        var root = Completed("root");
        archive.Add(root);
        Assert.Null(archive.Find(root.Id));
    }

    [Fact]
    public async Task Traces_completed_on_many_threads_are_all_kept_while_they_fit()
    {
        var archive = new TraceArchive(1_000);
        var parent = TraceId.New();
        var traces = Enumerable.Range(0, 1_000).Select(i => Completed($"t{i}", parent)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = w; i < traces.Length; i += 8) archive.Add(traces[i]);
        })));
        Assert.All(traces, t => Assert.Same(t, archive.Find(t.Id)));
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
        var t = Completed("t", TraceId.New());
        archive.Add(t);
        Assert.Null(archive.Find(t.Id));
        Assert.Empty(archive.Descendants(t.Id));
    }
}
