using System.Threading.Channels;

namespace PandaProbe.Pipeline;

/// <summary>
/// The handoff from application threads to the fold: many writers, one reader. <see cref="Post"/> never blocks and
/// takes no lock (an unbounded lock-free channel bounded by an interlocked count); when the inbox is full the new
/// event is dropped and counted. Control messages (flush, shutdown) bypass the bound so they are never lost.
/// </summary>
internal sealed class EventInbox
{
    readonly Channel<object> channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions
    {
        SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false,
    });
    readonly int capacity;
    readonly PipelineCounters counters;
    long count;
    volatile bool closed;

    public EventInbox(int capacity, PipelineCounters counters) { this.capacity = capacity; this.counters = counters; }

    /// <summary>Events waiting to be folded.</summary>
    public long Count => Interlocked.Read(ref count);

    /// <summary>True once <see cref="Close"/> was called: new events are dropped (counted as after-shutdown).</summary>
    public bool IsClosed => closed;

    /// <summary>Offers an event; returns false (and counts the drop) when the inbox is full or closed.</summary>
    public bool Post(TraceEvent e)
    {
        if (closed) { counters.Dropped(DropReason.AfterShutdown); return false; }
        if (Interlocked.Increment(ref count) > capacity)
        {
            Interlocked.Decrement(ref count);
            counters.Dropped(DropReason.InboxFull);
            return false;
        }
        if (!channel.Writer.TryWrite(e))
        {
            Interlocked.Decrement(ref count);
            counters.Dropped(DropReason.AfterShutdown);
            return false;
        }
        counters.EventPosted();
        return true;
    }

    /// <summary>Queues a control message behind every event posted so far.</summary>
    public bool PostControl(object control) => channel.Writer.TryWrite(control);

    /// <summary>Stops accepting events; control messages still pass until <see cref="Complete"/>.</summary>
    public void Close() => closed = true;

    /// <summary>Ends the stream: the reader finishes after the last queued item.</summary>
    public void Complete() => channel.Writer.TryComplete();

    /// <summary>Reads the next item (event or control), or returns false when the stream has ended.</summary>
    public async ValueTask<(bool Ok, object? Item)> ReadAsync()
    {
        var reader = channel.Reader;
        while (true)
        {
            if (reader.TryRead(out var item))
            {
                if (item is TraceEvent) Interlocked.Decrement(ref count);
                return (true, item);
            }
            if (!await reader.WaitToReadAsync().ConfigureAwait(false)) return (false, null);
        }
    }

    /// <summary>Reads without waiting.</summary>
    public bool TryRead(out object? item)
    {
        if (channel.Reader.TryRead(out var i))
        {
            if (i is TraceEvent) Interlocked.Decrement(ref count);
            item = i;
            return true;
        }
        item = null;
        return false;
    }
}
