using PandaProbe.Pipeline;
using PandaProbe.Exporters;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Http;

/// <summary>
/// The platform exporter's spool: what cannot be delivered now is written to disk (<see cref="Spool.FileSpool"/>), one
/// file per batch, and replayed oldest first by this or a later process once the platform answers; write-ahead copies
/// of completed traces; the outage state (while the platform is known unreachable, new requests go straight to the
/// spool).
/// </summary>
internal sealed partial class HttpTraceExporter
{
    /// <summary>
    /// The longest wait between two tries of the spool while the platform does not take it: a probe, so that the same
    /// process delivers what it spooled soon after the platform answers again (each probe is one spooled request).
    /// </summary>
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    TaskCompletionSource wake = NewSignal();        // completed to wake a replay that waits between tries
    TaskCompletionSource passEnded = NewSignal();   // completed when a pass over the spool ends (emptied, or blocked)
    int replayWaiting;                              // 1 while the replay waits between tries

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Wakes the replay if it waits between tries: the platform just answered, or a flush asks for the spool.</summary>
    private void Nudge()
    {
        if (Volatile.Read(ref replayWaiting) != 0) Interlocked.Exchange(ref wake, NewSignal()).TrySetResult();
    }

    private void EndPass() => Interlocked.Exchange(ref passEnded, NewSignal()).TrySetResult();

    // What the exporter says of itself now: an outage, or a backlog replayed at the platform's pace (both end by
    // themselves, and so does the state they give).
    string? IDurableExporter.Problem =>
        spool is not null && InOutage ? $"the platform is unreachable: items go to the spool at {spool.Directory} until it answers"
        : Volatile.Read(ref replaying) != 0 && sender.Rates.TraceRate is { } rate
            ? $"traces wait in the spool, sent at the platform's rate ({rate} for POST /traces)"
        : null;

    /// <summary>
    /// Tries the spool now, for a flush or the shutdown: wakes the replay if it waits between tries and waits until
    /// that pass over the files it lists ends (all tried, or stopped by the platform) or
    /// <paramref name="cancellationToken"/> fires. A replay that is sending already, at the platform's pace, is left to
    /// it: waiting would deliver nothing sooner. Never throws.
    /// </summary>
    async Task IDurableExporter.DrainAsync(CancellationToken cancellationToken)
    {
        // The replay runs whenever the spool has work (every spooling starts it, and so does a client that finds files
        // at its start), so a replay that is not running means nothing to try: no directory is read.
        if (spool is null || Volatile.Read(ref disposed) != 0 || Volatile.Read(ref replaying) == 0) return;
        if (Volatile.Read(ref replayWaiting) == 0 && sender.Rates.TraceRate is not null) return;
        var ended = Volatile.Read(ref passEnded).Task;
        Interlocked.Exchange(ref wake, NewSignal()).TrySetResult();
        EnsureReplay();
        try { await ended.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    // While a replay runs (or once the exporter is shut down, for the next process) the spool's files are counted;
    // otherwise it holds nothing this process could send (see DrainAsync) and no directory is read. The write-ahead
    // copies of traces still being exported are not waiting: they leave with their export.
    long IDurableExporter.Waiting =>
        spool is null || Volatile.Read(ref replaying) == 0 && Volatile.Read(ref disposed) == 0 ? 0 : Math.Max(0, spool.ItemsWaiting - writtenAhead.Count);
    /// <summary>
    /// Writes every item of <paramref name="batch"/> to the spool without trying to deliver it (the shutdown deadline
    /// passed, or the export queue overflowed). Returns how many items were kept, and how many it gave up on (counted and
    /// reported here); both 0 without a spool. Never throws.
    /// </summary>
    (int Kept, int Failed) IDurableExporter.SpoolNow(ExportBatch batch, bool fromLane)
    {
        if (spool is null || batch is null || batch.Count == 0) return (0, 0);
        if (fromLane) LeftLane(batch.Traces.Count);
        var tally = new Tally();
        try
        {
            SpoolBatch(batch, tally, "not sent before the shutdown deadline or pushed out of a full queue", unreachable: false);
            SpoolParked(tally);
        }
        catch (Exception ex) { log($"spooling failed: {ex.Message}"); }
        var result = tally.Result();
        return (result.Deferred, result.Failed);
    }

    /// <summary>
    /// Write-ahead: puts a completed trace's requests in the spool, flushed to disk, before returning (on the thread
    /// that completed the trace), held by this process; the export that follows deletes them once the platform took
    /// the trace, and a process that was killed first leaves them for the next one to replay. False (logged) when they
    /// could not be written: the trace is then exported as usual, without the copy.
    /// </summary>
    bool IDurableExporter.WriteAhead(TraceRecord trace)
    {
        if (spool is null || trace is null) return false;
        try
        {
            if (TraceRequests(trace, tally: null) is not { } requests) return false;   // the export side reports it
            if (spool.TryWriteLeased(requests, WriteAheadLease, out var evicted, out var error) is not { } lease)
            {
                spoolLog.Write("write-ahead", n => $"writing {n} trace(s) ahead to the spool at {spool.Directory} failed: {error}");
                return false;
            }
            if (evicted > 0) Lost(DropReason.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
            writtenAhead[trace.Id] = lease;
            return true;
        }
        catch (Exception ex)
        {
            spoolLog.Write("write-ahead", n => $"writing {n} trace(s) ahead failed: {ex.Message}");
            return false;
        }
    }

    /// <summary>
    /// Settles a trace's write-ahead copy, if it has one: deleted once delivered or given up on for good; published to
    /// the spool (instead of writing it again) when it is to be kept for later. True when the copy was kept.
    /// </summary>
    private bool SettleWrittenAhead(TraceId id, SendOutcome outcome, Tally tally, bool partial = false)
    {
        if (!writtenAhead.TryRemove(id, out var lease)) return false;
        if (outcome.Delivered || partial || spool is null || !Spoolable(outcome.Reason))
        {
            spool?.Complete(lease);
            return false;
        }
        spool.Release(lease);
        tally.Defer(1);
        Metrics.RecordSpooled(1);
        if (outcome.Unreachable) EnterOutage(outcome.Detail);
        NoteSpooled(id.ToString());
        EnsureReplay();
        return true;
    }

    /// <summary>
    /// A trace that will not be exported now (pushed out of a full queue, or the exporter is shut down) keeps its
    /// write-ahead copy: published to the spool for a replay. False when it had none.
    /// </summary>
    bool IDurableExporter.KeepWrittenAhead(TraceId id) => KeepWrittenAhead(id);

    private bool KeepWrittenAhead(TraceId id)
    {
        if (spool is null || !writtenAhead.TryRemove(id, out var lease)) return false;
        spool.Release(lease);
        Metrics.RecordSpooled(1);
        EnsureReplay();
        return true;
    }

    private void NoteSpooled(string traceId)
    {
        if (spooledTraces.Count >= SpooledTracesLimit) spooledTraces.Clear();
        spooledTraces[traceId] = 0;
    }

    /// <summary>True when the trace's own request waits in the spool (its late spans and scores must follow it there).</summary>
    private bool TraceIsSpooled(TraceId id) => !spooledTraces.IsEmpty && spooledTraces.ContainsKey(id.ToString());

    private void EnterOutage(string why)
    {
        if (Interlocked.Exchange(ref outage, 1) == 0)
            log($"the platform is unreachable ({why}); requests go to the spool at {spool!.Directory} until it answers.");
    }

    /// <summary>While the platform is unreachable: every item of the batch goes straight to the spool.</summary>
    private void SpoolBatch(ExportBatch batch, Tally tally, string why = "the platform is unreachable", bool unreachable = true)
    {
        foreach (var trace in batch.Traces)
            if (trace is not null
                && !SettleWrittenAhead(trace.Id, SendOutcome.Dropped(DropReason.RetriesExhausted, why, "/traces", "-", null) with { Unreachable = unreachable }, tally)
                && TraceRequests(trace, tally) is { } requests)
                Finish(SendOutcome.Dropped(DropReason.RetriesExhausted, why, "/traces", "-", null) with { Unreachable = unreachable },
                    requests, 1, tally);
        foreach (var group in batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace))
            foreach (var chunk in SpanChunks.Chunk(group, Limits.MaxSpansPerRequest))
                if (SpansRequest(group.Key, chunk, tally) is { } request)
                    Finish(SendOutcome.Dropped(DropReason.RetriesExhausted, why, request.Path, "-", null) with { Unreachable = unreachable },
                        [request], chunk.Count, tally);
        foreach (var score in batch.Scores)
            if (score is not null && ScoreRequest(score, tally) is { } request)
                Finish(SendOutcome.Dropped(DropReason.RetriesExhausted, why, request.Path, "-", null) with { Unreachable = unreachable },
                    [request], 1, tally);
    }

    /// <summary>Reasons after which a request is kept in the spool rather than given up on.</summary>
    private static bool Spoolable(DropReason reason) =>
        reason is DropReason.RetriesExhausted or DropReason.Cancelled or DropReason.Unconfirmed;

    /// <summary>
    /// Writes the batch's parked requests to the spool as one file (a file per item would cost a file's system calls
    /// per trace during an outage); notes an outage when the platform was unreachable. When the file cannot be
    /// written, each parked item is dropped and reported.
    /// </summary>
    private void SpoolParked(Tally tally)
    {
        var parked = tally.TakeParked();
        if (parked.Count == 0 || spool is null) return;
        var entries = parked.SelectMany(p => p.Requests).ToList();
        var items = parked.Sum(p => p.Items);
        var why = parked[0].Outcome.Detail;
        if (!spool.TryWrite(entries, out var evicted, out var error))
        {
            log($"writing to the spool at {spool.Directory} failed: {error}");
            foreach (var p in parked) Settle(p.Outcome, p.Items, tally);
            return;
        }
        if (evicted > 0) Lost(DropReason.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
        tally.Defer(items);
        Metrics.RecordSpooled(items);
        spoolLog.Write("spool", n => $"{n} item(s) written to the spool at {spool.Directory} (not delivered now: {why}).", items);
        if (parked.Any(p => p.Outcome.Unreachable)) EnterOutage(why);
        EnsureReplay();
    }

    /// <summary>Starts the replay of the spool unless it is running.</summary>
    private void EnsureReplay()
    {
        if (spool is null || Volatile.Read(ref disposed) != 0) return;
        if (Interlocked.CompareExchange(ref replaying, 1, 0) != 0) return;
        using var quiet = ExecutionContext.IsFlowSuppressed() ? (AsyncFlowControl?)null : ExecutionContext.SuppressFlow();
        Volatile.Write(ref replay, Task.Run(ReplayAsync));
    }

    /// <summary>
    /// Sends the spool's requests oldest first, each leased so no other process sends it at once. A request the
    /// platform cannot take now goes back to the spool and the replay waits (exponential backoff) before it tries
    /// again; one the platform refuses for good is dropped and reported; a damaged file is deleted and reported. Ends
    /// when the spool is empty or the exporter stops.
    /// </summary>
    private async Task ReplayAsync()
    {
        var owned = true;
        var waits = 0;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var woken = Volatile.Read(ref wake).Task;   // a flush's wake during this pass cuts the wait after it short
                var files = spool!.Ready(out var expired);
                if (expired > 0) Lost(DropReason.SpoolExpired, expired, $"kept longer than the spool's age limit ({spool.MaxAge})", "-");
                if (files.Count == 0 && !spool.HasWorkForReplay)
                {
                    // Nothing left but this process's own write-ahead copies of traces in flight: the replay ends.
                    Volatile.Write(ref outage, 0);
                    Volatile.Write(ref replaying, 0);
                    owned = false;
                    EndPass();
                    // A request spooled since the listing finds the flag down and starts its own replay, or this one goes on.
                    if (!spool.HasWorkForReplay || Interlocked.CompareExchange(ref replaying, 1, 0) != 0) return;
                    owned = true;
                    continue;
                }
                var blocked = false;
                var leasedAny = false;
                foreach (var file in files)
                {
                    if (stopping.IsCancellationRequested) break;
                    if (spool.TryLease(file, LeaseDuration) is not { } lease) continue;
                    leasedAny = true;
                    if (spool.Read(lease, out var damaged) is not { } entries)
                    {
                        if (damaged)
                        {
                            Lost(DropReason.SpoolCorrupt, file.Items, $"spool file {Path.GetFileName(file.FullPath)} is damaged (torn or altered); it was deleted, not replayed", "-");
                            spool.Complete(lease);   // deleted once counted
                        }
                        continue;
                    }
                    // The file's requests in order (a trace before the add-spans of its other spans); the settled ones
                    // (delivered, or refused for good) are left out if the rest has to wait.
                    var settled = 0;
                    for (; settled < entries.Count && !stopping.IsCancellationRequested; settled++)
                    {
                        var request = entries[settled];
                        var outcome = await sender.SendAsync(request, replay: true, stopping.Token).ConfigureAwait(false);
                        if (outcome.Delivered)
                        {
                            Metrics.RecordReplayed(request.Items);
                            if (request.Kind == RequestKind.Trace) spooledTraces.TryRemove(request.TraceId, out _);
                            Volatile.Write(ref outage, 0);
                            waits = 0;
                        }
                        else if (Spoolable(outcome.Reason))
                        {
                            if (outcome.Unreachable) Volatile.Write(ref outage, 1);
                            blocked = true;
                            break;
                        }
                        else Lost(outcome.Reason, request.Items, "replaying from the spool: " + outcome.Detail, outcome.RequestId, outcome.Path, outcome.Exception);
                    }
                    if (settled == entries.Count) spool.Complete(lease);
                    else if (settled == 0) spool.Release(lease);
                    else if (spool.Rewrite(lease, entries.Skip(settled).ToList()) is > 0 and var evicted)
                        Lost(DropReason.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
                    if (blocked || stopping.IsCancellationRequested) break;
                }
                if (!blocked) EndPass();   // every file of this listing was tried
                // Blocked by the platform, or nothing could be leased (other processes hold it all): wait before looking again.
                if ((blocked || !leasedAny) && !stopping.IsCancellationRequested)
                {
                    var cap = settings.MaxBackoff < ProbeInterval ? settings.MaxBackoff : ProbeInterval;
                    var delay = Backoff.Delay(waits++, settings.InitialBackoff, cap, jitter(), jitterMode);
                    Volatile.Write(ref replayWaiting, 1);
                    EndPass();
                    try
                    {
                        await woken.WaitAsync(delay, time, stopping.Token).ConfigureAwait(false);
                        waits = 0;   // woken: the platform answered, or a flush asked
                    }
                    catch (Exception ex) when (ex is TimeoutException or OperationCanceledException) { }
                    Volatile.Write(ref replayWaiting, 0);
                }
            }
        }
        catch (Exception ex)
        {
            log($"replaying the spool failed: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            if (owned) Volatile.Write(ref replaying, 0);
            EndPass();
        }
    }
}
