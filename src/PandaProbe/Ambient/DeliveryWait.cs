using PandaProbe.Pipeline;

namespace PandaProbe.Ambient;

/// <summary>
/// The traces one async flow starts while the scope is open (a request, a function invocation), each watched from its
/// start; disposing the scope waits until every one of them that has ended is delivered, within one deadline for all.
/// Scopes nest: a trace joins the innermost. See <see cref="Probe.WaitForDelivery"/>.
/// </summary>
internal sealed class DeliveryWait : IAsyncDisposable
{
    static readonly AsyncLocal<DeliveryWait?> Current = new();

    readonly DeliveryWait? previous;
    readonly TimeSpan? timeout;
    readonly List<(TraceContext Trace, TaskCompletionSource<LaneOutcome?>? Delivered)> traces = [];
    int disposed;

    DeliveryWait(TimeSpan? timeout)
    {
        this.timeout = timeout;
        previous = Current.Value;
        Current.Value = this;
    }

    /// <summary>Opens a scope in the current flow (its value is set here, synchronously, so the caller's flow sees it).</summary>
    public static DeliveryWait Open(TimeSpan? timeout) => new(timeout);

    /// <summary>A trace started in this flow: watched from now on, when a scope is open (one read of an async local otherwise).</summary>
    public static void Started(TraceContext trace)
    {
        if (Current.Value is not { } scope || Volatile.Read(ref scope.disposed) != 0) return;
        var delivered = trace.Client!.WatchDelivery(trace.Id, trace.ContinuationSpan);
        lock (scope.traces) scope.traces.Add((trace, delivered));
    }

    /// <summary>Closes the scope in this flow, then waits for the delivery of every trace it saw that has ended.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return default;
        if (ReferenceEquals(Current.Value, this)) Current.Value = previous;
        (TraceContext Trace, TaskCompletionSource<LaneOutcome?>? Delivered)[] seen;
        lock (traces) seen = [.. traces];
        return seen.Length == 0 ? default : new ValueTask(WaitAsync(seen));
    }

    async Task WaitAsync((TraceContext Trace, TaskCompletionSource<LaneOutcome?>? Delivered)[] seen)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var (trace, delivered) in seen)
        {
            var client = trace.Client!;
            if (delivered is null) continue;
            var left = PandaProbeClient.Clamp(timeout ?? client.FlushOnDisposeTimeout) - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (!trace.IsEnded || left <= TimeSpan.Zero)
            {
                // Still open (it is not this scope's to wait for: it may run on after the response), or out of time.
                client.ForgetDelivery(trace.Id, trace.ContinuationSpan, delivered);
                continue;
            }
            try { await client.FlushTraceAsync(trace.Id, trace.ContinuationSpan, delivered, left).ConfigureAwait(false); }
            catch (Exception ex) { SelfLog.Write($"waiting for the delivery of trace {trace.Id}: {ex.Message}"); }
        }
    }
}
