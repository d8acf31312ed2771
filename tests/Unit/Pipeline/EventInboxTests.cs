using PandaProbe.Model;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.Unit.Pipeline;

public class EventInboxTests
{
    static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static TraceEvent Start() => new TraceEvent.TraceStarted(TraceId.New(), "t", At);
    static TraceEvent End() => new TraceEvent.SpanEnded(TraceId.New(), SpanId.New(), At);

    /// <summary>What the reader gets for an entry: the event record, or the control message.</summary>
    static object? Item(InboxEntry entry) => entry.Kind == EntryKind.Control ? entry.Ref : entry.ToEvent();

    static async Task<object?> ReadOne(EventInbox inbox)
    {
        Assert.True(await inbox.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(inbox.TryRead(out var entry));
        return Item(entry);
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
        while (inbox.TryRead(out var entry)) read.Add(Item(entry)!);
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
        Assert.False(await inbox.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, counters.Snapshot().DroppedByReason[DropReason.AfterShutdown]);
    }

    [Fact]
    public async Task Completing_wakes_a_reader_that_is_waiting()
    {
        var inbox = new EventInbox(16, new PipelineCounters());
        var pending = inbox.WaitToReadAsync().AsTask();
        inbox.Complete();
        Assert.False(await pending.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void The_field_forms_of_starts_ends_and_updates_read_back_as_the_same_records()
    {
        var inbox = new EventInbox(16, new PipelineCounters());
        var trace = TraceId.New();
        var outer = TraceId.New();
        var span = SpanId.New();
        var child = SpanId.New();
        var origin = new TraceOrigin("production", "v1.2");
        inbox.Post(InboxEntry.TraceStart(trace, "run", At, "session-1", "user-1", origin, outer));
        inbox.Post(InboxEntry.TraceStart(outer, "plain", At, null, null, TraceOrigin.None, null));
        inbox.Post(InboxEntry.SpanStart(trace, span, null, "plan", SpanKind.Agent, At, null));
        inbox.Post(InboxEntry.SpanStart(trace, child, span, "call", SpanKind.Llm, At.AddSeconds(1), "gpt-4o"));
        var input = Payload.Json("""{"messages":[]}""");
        var usage = TokenUsage.Of(3, 4);
        var cost = Cost.Of(0.5);
        inbox.Post(InboxEntry.Input(trace, child, input, At));
        inbox.Post(InboxEntry.Output(trace, null, Payload.Text("done"), At));
        inbox.Post(InboxEntry.ModelOf(trace, child, "gpt-4o-mini", At));
        inbox.Post(InboxEntry.Tokens(trace, child, usage, At));
        inbox.Post(InboxEntry.CostOf(trace, child, cost, At));
        inbox.Post(InboxEntry.SpanEnd(trace, child, At.AddSeconds(2)));
        inbox.Post(InboxEntry.TraceEnd(trace, At.AddSeconds(3)));

        var read = new List<object?>();
        while (inbox.TryRead(out var entry)) read.Add(Item(entry));
        Assert.Equal(new object?[]
        {
            new TraceEvent.TraceStarted(trace, "run", At, SessionId: "session-1", UserId: "user-1", Environment: "production", Release: "v1.2", ParentTrace: outer),
            new TraceEvent.TraceStarted(outer, "plain", At),
            new TraceEvent.SpanStarted(trace, span, null, "plan", SpanKind.Agent, At),
            new TraceEvent.SpanStarted(trace, child, span, "call", SpanKind.Llm, At.AddSeconds(1), Model: "gpt-4o"),
            new TraceEvent.InputSet(trace, child, input, At),
            new TraceEvent.OutputSet(trace, null, Payload.Text("done"), At),
            new TraceEvent.ModelSet(trace, child, "gpt-4o-mini", At),
            new TraceEvent.TokensSet(trace, child, usage, At),
            new TraceEvent.CostSet(trace, child, cost, At),
            new TraceEvent.SpanEnded(trace, child, At.AddSeconds(2)),
            new TraceEvent.TraceEnded(trace, At.AddSeconds(3)),
        }, read);
    }

    [Fact]
    public void A_trace_start_in_either_form_is_refused_first_under_overload()
    {
        var counters = new PipelineCounters();
        var inbox = new EventInbox(16, counters);
        for (var i = 0; i < 16; i++) Assert.True(inbox.Post(InboxEntry.SpanEnd(TraceId.New(), SpanId.New(), At)));
        Assert.False(inbox.Post(InboxEntry.TraceStart(TraceId.New(), "t", At, null, null, TraceOrigin.None, null)));
        Assert.False(inbox.Post(Start()));
        Assert.True(inbox.Post(InboxEntry.TraceEnd(TraceId.New(), At)));
        Assert.Equal(2, counters.Snapshot().DroppedByReason[DropReason.InboxFull]);
    }

    [Fact]
    public async Task Writers_and_the_reader_go_round_the_ring_many_times_without_losing_or_reordering_an_event()
    {
        // Capacity 16 bounds the inbox at 32 events in a ring of 1,024 slots, so 3 × 4,000 events lap it many times,
        // with writers refused (and retrying) whenever the reader falls behind. Every accepted event must be read
        // exactly once, and each writer's events in the order it posted them.
        var counters = new PipelineCounters();
        var inbox = new EventInbox(16, counters);
        const int writers = 3, perWriter = 4_000;
        var refused = new long[writers];
        var posting = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var id = new SpanId(new Guid(w, 0, 0, BitConverter.GetBytes((long)i)));
                while (!inbox.Post(InboxEntry.SpanEnd(TraceId.New(), id, At)))
                {
                    refused[w]++;
                    Thread.Sleep(0);
                }
            }
        })).ToArray();
        var last = Enumerable.Repeat(-1L, writers).ToArray();
        var read = new long[writers];
        var done = Task.WhenAll(posting);
        await Task.Factory.StartNew(() => ReadAll(), TaskCreationOptions.LongRunning).WaitAsync(TimeSpan.FromSeconds(60));
        await done;
        Assert.All(read, n => Assert.Equal(perWriter, n));
        var health = counters.Snapshot();
        Assert.Equal(writers * perWriter, health.EventsPosted);
        Assert.Equal(refused.Sum(), health.DroppedByReason[DropReason.InboxFull]);

        void ReadAll()
        {
            while (true)
            {
                while (inbox.TryRead(out var entry))
                {
                    var e = Assert.IsType<TraceEvent.SpanEnded>(entry.ToEvent());
                    var bytes = e.Span.Value.ToByteArray();
                    var w = BitConverter.ToInt32(bytes, 0);
                    var i = BitConverter.ToInt64(bytes, 8);
                    Assert.True(i > last[w], $"writer {w}: event {i} read after {last[w]}");
                    last[w] = i;
                    read[w]++;
                }
                if (done.IsCompleted && inbox.Count == 0 && !inbox.TryRead(out _)) break;
                Thread.Sleep(0);
            }
        }
    }

    [Fact]
    public void The_health_snapshot_shows_the_events_waiting_to_be_folded()
    {
        var counters = new PipelineCounters();
        var inbox = new EventInbox(1024, counters);
        for (var i = 0; i < 5; i++) inbox.Post(InboxEntry.SpanEnd(TraceId.New(), SpanId.New(), At));
        Assert.Equal(5, counters.Snapshot().EventsWaiting);
        while (inbox.TryRead(out _)) { }
        var health = counters.Snapshot();
        Assert.Equal(0, health.EventsWaiting);
        Assert.Equal(5, health.EventsPosted);
    }

    [Fact]
    public void Reading_a_control_message_publishes_the_position_so_earlier_events_no_longer_count_as_waiting()
    {
        var counters = new PipelineCounters();
        var inbox = new EventInbox(1024, counters);
        for (var i = 0; i < 10; i++) inbox.Post(InboxEntry.SpanEnd(TraceId.New(), SpanId.New(), At));
        inbox.PostControl(new object());
        inbox.Post(InboxEntry.SpanEnd(TraceId.New(), SpanId.New(), At));
        for (var i = 0; i < 10; i++) Assert.True(inbox.TryRead(out _));
        Assert.True(inbox.TryRead(out var control));
        Assert.Equal(EntryKind.Control, control.Kind);
        Assert.Equal(1, inbox.Count);   // only the event posted after the control
        Assert.Equal(1, counters.Snapshot().EventsWaiting);
    }

    [Fact]
    public void A_slot_lets_go_of_its_record_once_read()
    {
        var inbox = new EventInbox(16, new PipelineCounters());
        var weak = PostAndRead(inbox);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(weak.IsAlive);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static WeakReference PostAndRead(EventInbox inbox)
        {
            var e = new TraceEvent.Logged(TraceId.New(), null, Payload.Null, At);
            Assert.True(inbox.Post(e));
            Assert.True(inbox.TryRead(out var entry));
            Assert.Same(e, entry.Ref);
            return new WeakReference(e);
        }
    }

    [Fact]
    public void A_slot_takes_the_112_bytes_the_capacity_documentation_promises()
    {
        // An entry plus its sequence number; PipelineOptions.EventQueueCapacity documents the memory from this figure.
        Assert.Equal(112, System.Runtime.CompilerServices.Unsafe.SizeOf<InboxEntry>() + sizeof(long));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(PipelineOptions.MaxEventQueueCapacity + 1)]
    public void An_event_queue_capacity_out_of_range_is_refused_when_the_options_are_built(int capacity)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PipelineOptions.Create(eventQueueCapacity: capacity));
        Assert.Equal("eventQueueCapacity", ex.ParamName);
    }
}
