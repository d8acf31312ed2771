using PandaProbe.Model;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

public class EventInboxTests
{
    static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static TraceEvent Start() => new TraceEvent.TraceStarted(TraceId.New(), "t", At);
    static TraceEvent End() => new TraceEvent.SpanEnded(TraceId.New(), SpanId.New(), At);

    static async Task<object?> ReadOne(EventInbox inbox)
    {
        var (ok, item) = await inbox.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(ok);
        return item;
    }

    [Fact]
    public void New_traces_are_refused_at_capacity_while_events_of_started_traces_use_the_headroom()
    {
        var counters = new PipelineCounters();
        var inbox = new EventInbox(16, counters);
        for (var i = 0; i < 16; i++) Assert.True(inbox.Post(Start()));
        Assert.False(inbox.Post(Start()));
        for (var i = 0; i < 16; i++) Assert.True(inbox.Post(End()));
        Assert.False(inbox.Post(End()));
        Assert.False(inbox.Post(Start()));

        var health = counters.Snapshot();
        Assert.Equal(3, health.DroppedByReason[DropReason.InboxFull]);
        Assert.Equal(32, health.EventsPosted);
        Assert.Equal(32, inbox.Count);
    }

    [Fact]
    public void Control_messages_pass_a_full_inbox_and_keep_their_place_in_line()
    {
        var inbox = new EventInbox(16, new PipelineCounters());
        var posted = new List<object>();
        for (var i = 0; i < 32; i++)
        {
            var e = End();
            Assert.True(inbox.Post(e));
            posted.Add(e);
        }
        var control = new object();
        Assert.True(inbox.PostControl(control));
        posted.Add(control);

        var read = new List<object>();
        while (inbox.TryRead(out var item)) read.Add(item!);
        Assert.Equal(posted, read);
        Assert.Equal(0, inbox.Count);
    }

    [Fact]
    public async Task A_waiting_reader_receives_a_single_event_and_a_control_message()
    {
        var inbox = new EventInbox(1024, new PipelineCounters());
        var pending = ReadOne(inbox);
        var e = Start();
        inbox.Post(e);
        Assert.Same(e, await pending);

        var control = new object();
        var next = ReadOne(inbox);
        inbox.PostControl(control);
        Assert.Same(control, await next);
    }

    [Fact]
    public async Task A_backlog_posted_from_several_threads_is_read_completely()
    {
        var inbox = new EventInbox(1 << 16, new PipelineCounters());
        const int perThread = 5_000;
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++) Assert.True(inbox.Post(End()));
        })).ToArray();
        var read = 0;
        while (read < 4 * perThread)
        {
            var item = await ReadOne(inbox);
            Assert.IsAssignableFrom<TraceEvent>(item);
            read++;
        }
        await Task.WhenAll(writers);
        Assert.False(inbox.TryRead(out _));
        Assert.Equal(0, inbox.Count);
    }

    [Fact]
    public async Task Completing_ends_the_stream_after_the_queued_items_and_refuses_later_posts()
    {
        var counters = new PipelineCounters();
        var inbox = new EventInbox(16, counters);
        var first = Start();
        var second = End();
        inbox.Post(first);
        inbox.Post(second);
        inbox.Close();
        Assert.False(inbox.Post(Start()));
        var control = new object();
        Assert.True(inbox.PostControl(control));
        inbox.Complete();
        Assert.False(inbox.PostControl(new object()));

        Assert.Same(first, await ReadOne(inbox));
        Assert.Same(second, await ReadOne(inbox));
        Assert.Same(control, await ReadOne(inbox));
        var (ok, _) = await inbox.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(ok);
        Assert.Equal(1, counters.Snapshot().DroppedByReason[DropReason.AfterShutdown]);
    }

    [Fact]
    public async Task Completing_wakes_a_reader_that_is_waiting()
    {
        var inbox = new EventInbox(16, new PipelineCounters());
        var pending = inbox.ReadAsync().AsTask();
        inbox.Complete();
        var (ok, _) = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(ok);
    }
}
