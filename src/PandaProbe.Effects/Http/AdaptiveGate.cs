using PandaProbe.Model.Delivery;

namespace PandaProbe.Http;

/// <summary>
/// A concurrency gate whose width follows an <see cref="AdaptiveLimit"/>: at most <c>Allowed</c> holders at once,
/// waiters served in arrival order, the limit changed by the answers reported to it.
/// </summary>
internal sealed class AdaptiveGate
{
    private readonly object sync = new();
    private readonly LinkedList<TaskCompletionSource> waiters = new();
    private AdaptiveLimit limit;
    private int inFlight;

    public AdaptiveGate(AdaptiveLimit start) => limit = start;

    /// <summary>The current limit.</summary>
    public AdaptiveLimit Limit { get { lock (sync) return limit; } }

    /// <summary>Waits for a slot; on return the caller holds one and must call <see cref="Exit"/>.</summary>
    public Task EnterAsync(CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (sync)
        {
            if (waiters.Count == 0 && inFlight < limit.Allowed)
            {
                inFlight++;
                return Task.CompletedTask;
            }
            node = waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        if (!cancellationToken.CanBeCanceled) return node.Value.Task;
        return WaitAsync(node, cancellationToken);
    }

    private async Task WaitAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(() =>
        {
            bool removed;
            lock (sync)
            {
                removed = node.List is not null;
                if (removed) waiters.Remove(node);
            }
            if (removed) node.Value.TrySetCanceled(cancellationToken);
        });
        await node.Value.Task.ConfigureAwait(false);
    }

    /// <summary>Releases a slot.</summary>
    public void Exit()
    {
        lock (sync)
        {
            inFlight--;
            Pump();
        }
    }

    /// <summary>Feeds an answer to the limit: throttled (429) narrows it, success widens it.</summary>
    public void Report(bool throttled, bool success)
    {
        lock (sync)
        {
            if (throttled) limit = limit.OnThrottled();
            else if (success) limit = limit.OnSuccess();
            Pump();
        }
    }

    private void Pump()
    {
        while (waiters.First is { } first && inFlight < limit.Allowed)
        {
            waiters.RemoveFirst();
            inFlight++;
            first.Value.TrySetResult();
        }
    }
}
