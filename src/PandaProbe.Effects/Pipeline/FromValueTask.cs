using System.Reactive.Disposables;

namespace PandaProbe.Pipeline;

/// <summary>An asynchronous call as an observable, without a scheduler.</summary>
internal static class FromValueTaskOperator
{
    /// <summary>
    /// The call <paramref name="start"/> as an observable that completes when the call does (or fails with its
    /// exception): the same contract as <c>Observable.FromAsync</c> for a call that returns no value, started on
    /// subscription. Unlike <c>Observable.FromAsync</c>, a call that completes synchronously completes the observable on
    /// the subscribing thread with no scheduler and no allocation of its own (Rx's version goes through the immediate
    /// scheduler, which registers a scheduler with the system clock per call: about two microseconds per delivery,
    /// measured), and a call that does not is observed with one continuation. Cancellation is the caller's: the lanes
    /// cancel their exports through a token of their own.
    /// </summary>
    public static IObservable<System.Reactive.Unit> FromValueTask(Func<ValueTask> start) => new Operator(start);

    sealed class Operator(Func<ValueTask> start) : IObservable<System.Reactive.Unit>
    {
        public IDisposable Subscribe(IObserver<System.Reactive.Unit> observer)
        {
            ValueTask call;
            try { call = start(); }
            catch (Exception ex)
            {
                observer.OnError(ex);
                return Disposable.Empty;
            }
            if (call.IsCompletedSuccessfully)
            {
                observer.OnCompleted();
                return Disposable.Empty;
            }
            var subscription = new BooleanDisposable();
            _ = ObserveAsync(call, observer, subscription);
            return subscription;
        }

        static async Task ObserveAsync(ValueTask call, IObserver<System.Reactive.Unit> observer, BooleanDisposable subscription)
        {
            Exception? error = null;
            try { await call.ConfigureAwait(false); }
            catch (Exception ex) { error = ex; }
            if (subscription.IsDisposed) return;
            try
            {
                if (error is null) observer.OnCompleted();
                else observer.OnError(error);
            }
            catch (Exception ex) { SelfLog.Write($"an observer of an asynchronous call failed: {ex.Message}"); }
        }
    }
}
