using System.Reactive.Disposables;

namespace PandaProbe.Pipeline;

/// <summary>The bounded form of <c>Select(selector).Concat()</c>.</summary>
internal static class ConcatBoundedOperator
{
    /// <summary>
    /// Like <c>source.Select(selector).Concat()</c>: each value's inner observable is subscribed after the previous one
    /// completed, so their results come in the source's order. Unlike <c>Concat</c>, the values waiting for their turn
    /// are bounded: they weigh <paramref name="weight"/> each, and when the waiting weight passes
    /// <paramref name="capacity"/> the oldest waiting value of non-zero weight is handed to <paramref name="dropped"/>
    /// instead (values of zero weight are never dropped). Disposing the subscription stops it: the running inner
    /// subscription is disposed, and every value waiting, or arriving later, is handed to <paramref name="dropped"/>
    /// (the source stays subscribed until it ends, so that a value it was emitting as the subscription was disposed is
    /// accounted for too).
    /// </summary>
    /// <remarks>
    /// No scheduler is involved: an inner observable is subscribed on the thread that delivered its value, or on the
    /// thread that completed the one before it; one that completes synchronously does not recurse.
    /// </remarks>
    public static IObservable<TResult> ConcatBounded<TSource, TResult>(this IObservable<TSource> source,
        Func<TSource, IObservable<TResult>> selector, int capacity, Func<TSource, int> weight, Action<TSource> dropped) where TSource : class =>
        new Operator<TSource, TResult>(source, selector, Math.Max(1, capacity), weight, dropped);

    sealed class Operator<TSource, TResult>(IObservable<TSource> source, Func<TSource, IObservable<TResult>> selector,
        int capacity, Func<TSource, int> weight, Action<TSource> dropped) : IObservable<TResult> where TSource : class
    {
        readonly IObservable<TSource> source = source;
        readonly Func<TSource, IObservable<TResult>> selector = selector;
        readonly int capacity = capacity;
        readonly Func<TSource, int> weight = weight;
        readonly Action<TSource> dropped = dropped;

        public IDisposable Subscribe(IObserver<TResult> observer)
        {
            var sink = new Sink(this, observer);
            sink.Run();
            return sink;
        }

        sealed class Sink(Operator<TSource, TResult> parent, IObserver<TResult> observer) : IObserver<TSource>, IDisposable
        {
            readonly IObserver<TResult> observer = observer;
            readonly object gate = new();
            readonly LinkedList<TSource> waiting = new();
            readonly SerialDisposable inner = new();
            readonly SingleAssignmentDisposable upstream = new();
            int waitingWeight, wip;
            bool running, sourceDone, finished, disposed;

            public void Run() => upstream.Disposable = parent.source.Subscribe(this);

            public void OnNext(TSource value)
            {
                List<TSource>? over = null;
                lock (gate)
                {
                    if (disposed)
                    {
                        over = [value];
                    }
                    else
                    {
                        waiting.AddLast(value);
                        waitingWeight += parent.weight(value);
                        while (waitingWeight > parent.capacity && DropOldestLocked() is { } old) (over ??= []).Add(old);
                    }
                }
                if (over is not null) foreach (var v in over) Drop(v);
                Pump();
            }

            /// <summary>Removes the oldest waiting value that may be dropped (non-zero weight), if any.</summary>
            TSource? DropOldestLocked()
            {
                for (var node = waiting.First; node is not null; node = node.Next)
                {
                    var w = parent.weight(node.Value);
                    if (w == 0) continue;
                    waiting.Remove(node);
                    waitingWeight -= w;
                    return node.Value;
                }
                return default;
            }

            public void OnError(Exception error)
            {
                lock (gate) sourceDone = true;
                upstream.Dispose();
                Finish(error);
            }

            public void OnCompleted()
            {
                bool stopped;
                lock (gate)
                {
                    sourceDone = true;
                    stopped = disposed;
                }
                if (stopped) upstream.Dispose();
                else Pump();
            }

            /// <summary>Starts the next inner subscription if none runs; a loop, so synchronous inners do not recurse.</summary>
            void Pump()
            {
                if (Interlocked.Increment(ref wip) != 1) return;
                do
                {
                    TSource next = default!;
                    var start = false;
                    var complete = false;
                    lock (gate)
                    {
                        if (!running && !disposed)
                        {
                            if (waiting.First is { } first)
                            {
                                next = first.Value;
                                waiting.RemoveFirst();
                                waitingWeight -= parent.weight(next);
                                running = start = true;
                            }
                            else if (sourceDone) complete = true;
                        }
                    }
                    if (start) Subscribe(next);
                    else if (complete) Finish(null);
                }
                while (Interlocked.Decrement(ref wip) != 0);
            }

            void Subscribe(TSource value)
            {
                IObservable<TResult> observable;
                try { observable = parent.selector(value); }
                catch (Exception ex)
                {
                    Finish(ex);
                    return;
                }
                var child = new SingleAssignmentDisposable();
                inner.Disposable = child;
                child.Disposable = observable.Subscribe(new InnerObserver(this));
            }

            void InnerCompleted()
            {
                lock (gate) running = false;
                Pump();
            }

            void Finish(Exception? error)
            {
                lock (gate)
                {
                    if (finished) return;
                    finished = true;
                }
                if (error is null) observer.OnCompleted();
                else observer.OnError(error);
            }

            void Drop(TSource value)
            {
                try { parent.dropped(value); }
                catch (Exception ex) { SelfLog.Write($"handling a dropped value failed: {ex.Message}"); }
            }

            public void Dispose()
            {
                TSource[] left;
                lock (gate)
                {
                    if (disposed) return;
                    disposed = true;
                    left = [.. waiting];
                    waiting.Clear();
                    waitingWeight = 0;
                }
                inner.Dispose();
                foreach (var v in left) Drop(v);
            }

            sealed class InnerObserver(Sink sink) : IObserver<TResult>
            {
                public void OnNext(TResult value)
                {
                    if (!Volatile.Read(ref sink.disposed)) sink.observer.OnNext(value);
                }

                public void OnError(Exception error) => sink.Finish(error);

                public void OnCompleted() => sink.InnerCompleted();
            }
        }
    }
}
