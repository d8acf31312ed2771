namespace PandaProbe.Exporters;

/// <summary>
/// Keeps every exported item in memory, for tests and for tools that inspect traces in-process. Thread-safe: the
/// lists returned are snapshots. <see cref="WaitUntilAsync"/> gives tests a deterministic signal instead of sleeping.
/// </summary>
/// <remarks>
/// After <see cref="ShutdownAsync"/>, every further export returns a failed <see cref="ExportResult"/> and records
/// nothing (it is still counted in <see cref="ExportCalls"/>). This is deliberate: a pipeline that exports after
/// shutting its exporters down has a lifecycle bug, and this exporter makes it visible.
/// </remarks>
public sealed class InMemoryTraceExporter : ITraceExporter
{
    readonly object gate = new();
    readonly List<TraceRecord> traces = [];
    readonly List<Span> lateSpans = [];
    readonly List<Score> scores = [];
    readonly List<(Func<InMemoryTraceExporter, bool> Condition, TaskCompletionSource Signal)> waiters = [];
    int exportCalls;
    int flushCalls;
    bool shutdown;

    /// <inheritdoc />
    public string Name => "memory";

    /// <summary>The completed traces received so far, in order.</summary>
    public IReadOnlyList<TraceRecord> Traces { get { lock (gate) return traces.ToArray(); } }

    /// <summary>The late spans received so far, in order.</summary>
    public IReadOnlyList<Span> LateSpans { get { lock (gate) return lateSpans.ToArray(); } }

    /// <summary>The scores received so far, in order.</summary>
    public IReadOnlyList<Score> Scores { get { lock (gate) return scores.ToArray(); } }

    /// <summary>How many times <see cref="ExportAsync"/> was called (including calls refused after shutdown).</summary>
    public int ExportCalls { get { lock (gate) return exportCalls; } }

    /// <summary><c>true</c> once <see cref="ShutdownAsync"/> has been called.</summary>
    public bool IsShutdown { get { lock (gate) return shutdown; } }

    /// <summary>How many times <see cref="FlushAsync"/> was called.</summary>
    public int FlushCalls { get { lock (gate) return flushCalls; } }

    /// <summary>Forgets every recorded trace, late span and score and resets <see cref="ExportCalls"/> (the shutdown state stays).</summary>
    public void Clear()
    {
        lock (gate)
        {
            traces.Clear();
            lateSpans.Clear();
            scores.Clear();
            exportCalls = 0;
            flushCalls = 0;
        }
    }

    /// <inheritdoc />
    public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        List<TaskCompletionSource> ready;
        ExportResult result;
        lock (gate)
        {
            exportCalls++;
            var count = batch?.Count ?? 0;
            if (shutdown)
                result = ExportResult.Failure(count, "the in-memory exporter has been shut down");
            else
            {
                if (batch is not null)
                {
                    traces.AddRange(batch.Traces.Where(t => t is not null));
                    lateSpans.AddRange(batch.LateSpans.Where(s => s is not null));
                    scores.AddRange(batch.Scores.Where(s => s is not null));
                }
                result = ExportResult.Success(count);
            }
            ready = TakeSatisfiedWaiters();
        }
        foreach (var signal in ready) signal.TrySetResult();
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        lock (gate) flushCalls++;
        return default;
    }

    /// <inheritdoc />
    public ValueTask ShutdownAsync(CancellationToken cancellationToken)
    {
        List<TaskCompletionSource> ready;
        lock (gate)
        {
            shutdown = true;
            ready = TakeSatisfiedWaiters();
        }
        foreach (var signal in ready) signal.TrySetResult();
        return default;
    }

    /// <summary>
    /// Completes once <paramref name="condition"/> holds (checked now and after every export). Cancelling the token
    /// cancels the returned task. The condition runs under the exporter's lock: keep it short and read the snapshot
    /// properties only.
    /// </summary>
    /// <param name="condition">What to wait for, e.g. <c>e =&gt; e.Traces.Count &gt;= 2</c>.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    public Task WaitUntilAsync(Func<InMemoryTraceExporter, bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (condition(this)) return Task.CompletedTask;
            waiters.Add((condition, signal));
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                lock (gate) waiters.RemoveAll(w => w.Signal == signal);
                signal.TrySetCanceled(cancellationToken);
            });
            signal.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return signal.Task;
    }

    /// <summary>Completes with the traces once at least <paramref name="count"/> traces have been exported.</summary>
    /// <param name="count">How many traces to wait for.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    public async Task<IReadOnlyList<TraceRecord>> WaitForTracesAsync(int count, CancellationToken cancellationToken = default)
    {
        await WaitUntilAsync(e => e.traces.Count >= count, cancellationToken).ConfigureAwait(false);
        return Traces;
    }

    List<TaskCompletionSource> TakeSatisfiedWaiters()
    {
        var ready = new List<TaskCompletionSource>();
        for (var i = waiters.Count - 1; i >= 0; i--)
        {
            bool satisfied;
            try { satisfied = waiters[i].Condition(this); }
            catch (Exception) { satisfied = false; }
            if (!satisfied) continue;
            ready.Add(waiters[i].Signal);
            waiters.RemoveAt(i);
        }
        return ready;
    }
}
