using System.Threading.Channels;

namespace PandaProbe.Pipeline;

/// <summary>
/// Delivers values to user subscribers without letting them affect the pipeline: each subscriber gets its own
/// bounded queue and its own delivery loop, so a slow subscriber only delays itself (and past its capacity loses
/// values, counted), and a throwing subscriber is caught, counted and reported to <see cref="SelfLog"/>.
/// Publishing with no subscribers costs one volatile read.
/// </summary>
internal sealed class IsolatedSubject<T> : IObservable<T>
{
    readonly int capacity;
    readonly PipelineCounters counters;
    readonly string name;
    Subscriber[] subscribers = [];
    readonly object subscribeGate = new();
    volatile bool completed;

    public IsolatedSubject(string name, int capacity, PipelineCounters counters)
    { this.name = name; this.capacity = capacity; this.counters = counters; }

    public bool HasSubscribers => Volatile.Read(ref subscribers).Length > 0;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var s = new Subscriber(this, observer);
        if (completed) { s.Complete(); return s; }
        lock (subscribeGate) Volatile.Write(ref subscribers, [.. subscribers, s]);
        s.Start();
        return s;
    }

    /// <summary>Hands a value to every subscriber's queue (from any thread).</summary>
    public void Publish(T value)
    {
        var subs = Volatile.Read(ref subscribers);
        foreach (var s in subs) s.Offer(value);
    }

    /// <summary>Completes every subscriber after its queued values are delivered.</summary>
    public void Complete()
    {
        completed = true;
        foreach (var s in Volatile.Read(ref subscribers)) s.Complete();
    }

    /// <summary>A task that finishes when every current subscriber has drained its queue.</summary>
    public Task DrainAsync() => Task.WhenAll(Volatile.Read(ref subscribers).Select(s => s.Loop ?? Task.CompletedTask));

    void Remove(Subscriber s)
    {
        lock (subscribeGate) Volatile.Write(ref subscribers, subscribers.Where(x => x != s).ToArray());
    }

    sealed class Subscriber : IDisposable
    {
        readonly IsolatedSubject<T> owner;
        readonly IObserver<T> observer;
        readonly Channel<T> queue;
        int disposed;
        public Task? Loop;

        public Subscriber(IsolatedSubject<T> owner, IObserver<T> observer)
        {
            this.owner = owner;
            this.observer = observer;
            queue = Channel.CreateBounded<T>(
                new BoundedChannelOptions(owner.capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.DropWrite },
                _ => owner.counters.Dropped(DropReason.SubscriberQueueFull));
        }

        public void Start()
        {
            using (ExecutionContext.SuppressFlow()) Loop = Task.Run(RunAsync);
        }

        public void Offer(T value) => queue.Writer.TryWrite(value);

        public void Complete() => queue.Writer.TryComplete();

        async Task RunAsync()
        {
            try
            {
                await foreach (var v in queue.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    if (Volatile.Read(ref disposed) != 0) return;
                    try { observer.OnNext(v); }
                    catch (Exception ex)
                    {
                        owner.counters.SubscriberError();
                        SelfLog.Write($"a subscriber of {owner.name} threw {ex.GetType().Name}: {ex.Message}");
                    }
                }
                if (Volatile.Read(ref disposed) == 0)
                {
                    try { observer.OnCompleted(); }
                    catch (Exception ex)
                    {
                        owner.counters.SubscriberError();
                        SelfLog.Write($"a subscriber of {owner.name} threw in OnCompleted: {ex.Message}");
                    }
                }
            }
            catch (Exception ex) { SelfLog.Write($"delivery to a subscriber of {owner.name} stopped: {ex.Message}"); }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            owner.Remove(this);
            queue.Writer.TryComplete();
        }
    }
}
