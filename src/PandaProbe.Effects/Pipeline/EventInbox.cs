using System.Collections.Concurrent;

namespace PandaProbe.Pipeline;

/// <summary>
/// The handoff from application threads to the fold: many writers, one reader. <see cref="Post(in InboxEntry)"/>
/// never blocks and takes no lock; when the inbox is full the new event is dropped and counted. Control messages
/// (flush, shutdown) are never refused and keep their place in line behind every event posted before them.
/// </summary>
/// <remarks>
/// <para>
/// Events are written into a ring of preallocated slots (a bounded multi-producer queue in the style of Dmitry Vyukov's:
/// each slot carries a sequence number that says whose turn it is). Trace and span starts and ends are held as plain
/// fields (<see cref="InboxEntry"/>), so posting them allocates nothing, and a backlog — which builds up whenever the
/// application makes events faster than the fold takes them — holds nothing the garbage collector has to trace and
/// copy. (With a queue of event objects, every collection during a backlog promoted the whole backlog.) The ring is
/// allocated when the inbox is made (in chunks, so no single array grows huge): about 112 bytes per slot, for
/// 2 × capacity slots rounded up to a power of two (1.8 MB at the default capacity), and never on a caller's thread.
/// </para>
/// <para>
/// Waking a parked thread costs the waker a system call, so writers do not wake the reader for every event (that
/// cost would land on the application's thread). A reader that finds the inbox empty first dozes for
/// <see cref="Doze"/>, during which only a backlog of <see cref="WakeThreshold"/> events or a control message wakes
/// it; if the doze ends with nothing to do it sleeps until the next post. Folding is therefore delayed by at most the
/// doze, well inside the export batching interval, and a flush is never delayed.
/// </para>
/// </remarks>
internal sealed class EventInbox
{
    /// <summary>Pending events at which a writer wakes a dozing reader.</summary>
    internal const int WakeThreshold = 256;

    /// <summary>How long an idle reader waits for a backlog before sleeping until the next post.</summary>
    internal static readonly TimeSpan Doze = TimeSpan.FromMilliseconds(5);

    const long Running = 0, Dozing = 1, Sleeping = 2;

    /// <summary>At most this many reads pass before the reader publishes its position to the writers.</summary>
    const int PublishEvery = 64;

    const int ChunkBits = 10, ChunkSize = 1 << ChunkBits;

    /// <summary>
    /// A stretch of the ring. The sequence numbers (== position: free for the writer of that position; == position + 1:
    /// holds its event) live apart from the entries, eight to a cache line, and the reader writes only them (and the
    /// reference of a record it has read): the entry lines it reads stay clean, so a writer coming round again does
    /// not have to pull them back from the reader's core.
    /// </summary>
    sealed class Chunk
    {
        public readonly long[] Sequences = new long[ChunkSize];
        public readonly InboxEntry[] Entries = new InboxEntry[ChunkSize];
    }

    readonly Chunk[] chunks;
    readonly long mask;
    readonly long ringLength;
    readonly long publishMask;   // the reader publishes its position when it reaches a multiple of publishMask + 1
    readonly int capacity;
    readonly PipelineCounters counters;
    readonly ConcurrentQueue<(long Position, object Control)> controls = new();
    readonly SemaphoreSlim signal = new(0);
    volatile bool closed, completed;
    // Each written by one side and read by the other; alone on their cache lines so writers and reader do not contend.
    PaddedCounter tail;          // the next position a writer claims (= events accepted so far)
    PaddedCounter publishedHead; // the reader's position as last published (at most PublishEvery behind)
    PaddedCounter readerState;
    long head;                   // reader only: the next position to read

    public EventInbox(int capacity, PipelineCounters counters)
    {
        this.capacity = capacity;
        this.counters = counters;
        // The bound is 2 × capacity (see Post); the ring is the next power of two, at least one chunk.
        ringLength = Math.Max(ChunkSize, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2L * capacity)));
        mask = ringLength - 1;
        // Publishing less often keeps the reader off the writers' cache line; but a small inbox must see its space
        // freed well before it fills, so the step is at most a quarter of the capacity.
        publishMask = Math.Min(PublishEvery, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity / 4) + 1) / 2) - 1;
        chunks = new Chunk[ringLength >> ChunkBits];
        for (var c = 0; c < chunks.Length; c++)
        {
            var chunk = chunks[c] = new Chunk();
            for (var i = 0; i < ChunkSize; i++)
            {
                chunk.Sequences[i] = ((long)c << ChunkBits) + i;   // position of lap 0
                // Write every entry once now, so the operating system maps the memory here and not on a caller's
                // thread (a first write to a fresh page is a page fault) the first time the ring comes round.
                chunk.Entries[i].Kind = EntryKind.None;
            }
        }
        counters.ReadInboxFrom(() => Volatile.Read(ref tail.Value), () => Count);
    }

    /// <summary>Events waiting to be folded (may run up to <see cref="PublishEvery"/> high while the reader works).</summary>
    public long Count => Math.Max(0, Volatile.Read(ref tail.Value) - Volatile.Read(ref publishedHead.Value));

    /// <summary>True once <see cref="Close"/> was called: new events are dropped (counted as after-shutdown).</summary>
    public bool IsClosed => closed;

    /// <summary>Offers an event record (see <see cref="Post(in InboxEntry)"/>).</summary>
    public bool Post(TraceEvent e) => Post(InboxEntry.Of(e));

    /// <summary>
    /// Offers an event; returns false (and counts the drop) when the inbox is full or closed. A new trace is refused
    /// once <c>capacity</c> events wait; events of traces already admitted may use a second <c>capacity</c> of
    /// headroom, so under overload whole traces are refused at their start instead of losing the span or trace ends
    /// that would leave the fold holding them open. The bound is twice the capacity either way.
    /// </summary>
    public bool Post(in InboxEntry entry)
    {
        if (closed || completed) { counters.Dropped(DropReason.AfterShutdown); return false; }
        long limit = entry.StartsTrace ? capacity : 2L * capacity;
        var pos = Volatile.Read(ref tail.Value);
        while (true)
        {
            if (pos - Volatile.Read(ref publishedHead.Value) >= limit)
            {
                counters.Dropped(DropReason.InboxFull);
                return false;
            }
            var seq = Volatile.Read(ref SequenceAt(pos));
            if (seq == pos)
            {
                var seen = Interlocked.CompareExchange(ref tail.Value, pos + 1, pos);
                if (seen == pos) break;
                pos = seen;
            }
            else if (seq < pos)
            {
                // The slot still holds an unread event of the previous lap. The bound above rules this out (the ring
                // is at least twice the capacity); the check makes sure no event is ever overwritten.
                counters.Dropped(DropReason.InboxFull);
                return false;
            }
            else pos = Volatile.Read(ref tail.Value);
        }
        var chunk = chunks[(int)((pos & mask) >> ChunkBits)];
        var i = (int)(pos & (ChunkSize - 1));
        // Field by field rather than as one struct copy: a struct holding references is copied into the (old,
        // large-object) ring with a bulk write barrier that marks the whole range for the next collection, while a
        // plain reference store marks nothing when it points at an old object (a string literal, the client's origin).
        ref var slot = ref chunk.Entries[i];
        slot.Trace = entry.Trace;
        slot.Span = entry.Span;
        slot.Parent = entry.Parent;
        slot.At = entry.At;
        slot.Name = entry.Name;
        slot.Text1 = entry.Text1;
        slot.Text2 = entry.Text2;
        slot.Ref = entry.Ref;
        slot.SpanKind = entry.SpanKind;
        slot.Kind = entry.Kind;
        slot.HasParent = entry.HasParent;
        slot.OnSpan = entry.OnSpan;
        // The exchange publishes the entry and is a full fence: the reader state read below cannot be satisfied before
        // the entry is visible, so a reader that parked after checking for work is always woken (no lost wake-up).
        Interlocked.Exchange(ref chunk.Sequences[i], pos + 1);
        var state = Volatile.Read(ref readerState.Value);
        if (state == Sleeping || (state == Dozing && pos + 1 - Volatile.Read(ref publishedHead.Value) >= WakeThreshold)) Wake(state);
        return true;
    }

    /// <summary>The sequence number of the slot for <paramref name="position"/>.</summary>
    ref long SequenceAt(long position) =>
        ref chunks[(int)((position & mask) >> ChunkBits)].Sequences[position & (ChunkSize - 1)];

    /// <summary>Queues a control message behind every event posted so far and wakes the reader.</summary>
    public bool PostControl(object control)
    {
        if (completed) return false;
        controls.Enqueue((Volatile.Read(ref tail.Value), control));
        WakeNow();
        return true;
    }

    /// <summary>Stops accepting events; control messages still pass until <see cref="Complete"/>.</summary>
    public void Close() => closed = true;

    /// <summary>Ends the stream: the reader finishes after the last queued item.</summary>
    public void Complete()
    {
        completed = true;
        WakeNow();
    }

    void WakeNow()
    {
        while (true)
        {
            var state = Volatile.Read(ref readerState.Value);
            if (state == Running || Wake(state)) return;
        }
    }

    /// <summary>Moves a parked reader to running and releases it; false when another thread changed the state first.</summary>
    bool Wake(long seen)
    {
        if (Interlocked.CompareExchange(ref readerState.Value, Running, seen) != seen) return false;
        signal.Release();
        return true;
    }

    /// <summary>
    /// Waits until an item can be read (<c>true</c>) or the stream has ended (<c>false</c>). Reader only.
    /// </summary>
    public async ValueTask<bool> WaitToReadAsync()
    {
        while (true)
        {
            if (HasItem()) return true;
            if (completed && IsDrained()) { Publish(); return false; }
            Publish();

            // Doze: writers wake us only for a backlog or a control message. The interlocked write is a full fence, so
            // a writer that published before it sees the new state, or we see its item below.
            Interlocked.Exchange(ref readerState.Value, Dozing);
            if (HasItem() || completed)
            {
                await UnparkAsync(Dozing).ConfigureAwait(false);
                continue;
            }
            if (await signal.WaitAsync(Doze).ConfigureAwait(false)) continue;   // woken: the waker set Running
            if (HasItem() || completed || !controls.IsEmpty)
            {
                await UnparkAsync(Dozing).ConfigureAwait(false);
                continue;
            }

            // Nothing arrived during the doze: sleep until the next post.
            if (Interlocked.CompareExchange(ref readerState.Value, Sleeping, Dozing) != Dozing)
            {
                await signal.WaitAsync().ConfigureAwait(false);   // a writer claimed the wake: take its release
                continue;
            }
            if (HasItem() || completed)
            {
                await UnparkAsync(Sleeping).ConfigureAwait(false);
                continue;
            }
            await signal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Returns to running from <paramref name="parked"/>; if a writer already claimed the wake, takes its release.</summary>
    async ValueTask UnparkAsync(long parked)
    {
        if (Interlocked.CompareExchange(ref readerState.Value, Running, parked) != parked)
            await signal.WaitAsync().ConfigureAwait(false);
    }

    /// <summary>An event is ready at the reader's position, or a control message whose turn has come.</summary>
    bool HasItem() => ControlDue() || EventReady();

    bool ControlDue() => !controls.IsEmpty && controls.TryPeek(out var c) && c.Position <= head;

    bool EventReady() => Volatile.Read(ref SequenceAt(head)) == head + 1;

    /// <summary>Nothing is left: every claimed position was read and no control message waits.</summary>
    bool IsDrained() => Volatile.Read(ref tail.Value) == head && controls.IsEmpty;

    void Publish()
    {
        if (Volatile.Read(ref publishedHead.Value) != head) Volatile.Write(ref publishedHead.Value, head);
    }

    /// <summary>Reads the next item without waiting (reader only): an event, or a control message in its place in line.</summary>
    public bool TryRead(out InboxEntry entry)
    {
        if (ControlDue() && controls.TryDequeue(out var due))
        {
            // A flush reports what is still pending when it completes: publish the position first, so the events
            // read before this control no longer count as waiting.
            Publish();
            entry = InboxEntry.OfControl(due.Control);
            return true;
        }
        var chunk = chunks[(int)((head & mask) >> ChunkBits)];
        var i = (int)(head & (ChunkSize - 1));
        if (Volatile.Read(ref chunk.Sequences[i]) == head + 1)
        {
            entry = chunk.Entries[i];
            // A reference to a record, control message or value (a payload may be large): let go of it now. Otherwise
            // a slot keeps only short strings (names, model, session and user ids) until the writer comes round again.
            if (entry.Ref is not null and not TraceOrigin) chunk.Entries[i].Ref = null;
            Volatile.Write(ref chunk.Sequences[i], head + ringLength);
            head++;
            if ((head & publishMask) == 0) Volatile.Write(ref publishedHead.Value, head);
            return true;
        }
        Publish();
        entry = default;
        return false;
    }
}
