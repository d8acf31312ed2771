using PandaProbe.Pipeline;
using PandaProbe.Exporters;
using System.Collections.Concurrent;
using PandaProbe.Diagnostics;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;
using PandaProbe.Spool;

namespace PandaProbe.Http;

/// <summary>
/// Delivers batches to the PandaProbe platform, in three parts: request building (<see cref="PlatformRequests"/>: a
/// trace is <c>POST /traces</c> with at most 500 spans, the rest and late spans go through
/// <c>POST /traces/{id}/spans</c>, scores through <c>POST /evaluations/trace-scores</c>), sending with retry
/// (<see cref="PlatformSender"/>: an adaptive concurrency limit, backoff with jitter, <c>Retry-After</c>, ingestion-lag
/// retries, score lookups after a lost answer so a score is never stored twice) and the spool
/// (<c>HttpTraceExporter.Spool.cs</c>: what cannot be delivered now is written to disk and replayed, oldest first, by
/// this or a later process once the platform answers). This file settles each item: delivered, spooled, or counted as
/// dropped with its reason and reported to the error callback. Never throws.
/// </summary>
internal sealed partial class HttpTraceExporter : ITraceExporter, IDurableExporter, IDisposable
{
    /// <summary>The <c>User-Agent</c> sent with every request: <c>pandaprobe-dotnet/&lt;version&gt;</c>.</summary>
    public static string UserAgent => PlatformSender.UserAgent;

    private readonly SdkSettings settings;
    private readonly PlatformSender sender;
    private readonly TimeProvider time;
    private readonly Func<double> jitter;
    private readonly JitterMode jitterMode;
    private readonly object handlersGate = new();
    private Action<Exception>[] onError;
    private readonly Action<string> log;
    private readonly FileSpool? spool;
    private readonly CancellationTokenSource stopping = new();
    private readonly RateLimitedLog spoolLog;
    private int disposed;
    private int outage;      // 1 while the platform is known unreachable: requests go straight to the spool
    private int replaying;   // 1 while the replay loop runs
    private Task replay = Task.CompletedTask;
    private readonly ConcurrentDictionary<TraceId, SpoolLease> writtenAhead = new();

    // Traces whose POST /traces waits in the spool: their late spans and scores wait there too, behind them, instead of
    // reaching the platform first (a 404 that would drop them). Bounded: past the limit it is cleared.
    private readonly ConcurrentDictionary<string, byte> spooledTraces = new(StringComparer.Ordinal);
    private const int SpooledTracesLimit = 100_000;

    /// <summary>
    /// The longest wait for pacing slots the traces queued for this exporter may have in memory; past it, while paced to
    /// the platform's rate, a batch goes to the spool and is replayed at the same pace.
    /// </summary>
    internal static readonly TimeSpan PacedBacklog = TimeSpan.FromSeconds(5);

    /// <summary>How long live mode's progress may hold a batch's items, at most.</summary>
    internal static readonly TimeSpan ProgressBudget = TimeSpan.FromSeconds(2);

    /// <summary>How long a shutdown gives the spool one more try, at most.</summary>
    internal static readonly TimeSpan ShutdownDrain = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    void IDurableExporter.Offered(int traces)
    {
        Interlocked.Add(ref inLane, traces);
        sender.Rates.Offer(traces);
    }

    long inLane;   // traces handed to this exporter's lane and not yet taken by an export (or spooled from it)

    /// <summary>Traces that left the lane (an export took them, or they were spooled from it): the lane's queue is shorter.</summary>
    long LeftLane(int traces) => Math.Max(0, Interlocked.Add(ref inLane, -traces));

    /// <summary>How long a write-ahead copy is held by its process (a copy whose process is gone is free at once).</summary>
    internal static readonly TimeSpan WriteAheadLease = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The metadata key a score carries its delivery id under, so that after a lost answer the exporter can ask the
    /// platform whether the score was stored instead of posting it again.
    /// </summary>
    public const string DeliveryKey = PlatformRequests.DeliveryKey;

    /// <summary>How long a replaying process holds a spool file before another process may take it over.</summary>
    internal static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(5);

    /// <summary>Creates the exporter.</summary>
    /// <param name="settings">Validated settings; <see cref="SdkSettings.SendsToPlatform"/> must hold.</param>
    /// <param name="options">Injected collaborators (handler, clock, jitter, callbacks, counters).</param>
    /// <exception cref="ArgumentException">The settings lack an API key or a project name.</exception>
    public HttpTraceExporter(SdkSettings settings, HttpExporterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ApiKey.TryGet(out var apiKey))
            throw new ArgumentException("The HTTP exporter needs an API key (PANDAPROBE_API_KEY).", nameof(settings));
        if (!settings.ProjectName.TryGet(out var project))
            throw new ArgumentException("The HTTP exporter needs a project name (PANDAPROBE_PROJECT_NAME).", nameof(settings));

        var o = options ?? new HttpExporterOptions();
        this.settings = settings;
        time = o.TimeProvider ?? TimeProvider.System;
        jitter = o.Jitter ?? Random.Shared.NextDouble;
        jitterMode = o.JitterMode;
        onError = o.OnError is null ? [] : [o.OnError];
        Metrics = o.Metrics ?? new PandaProbeMetrics();
        log = o.Log ?? (line => Console.Error.WriteLine("[pandaprobe] " + line));
        spool = o.Spool;
        spoolLog = new RateLimitedLog(log, time);
        var handler = o.HandlerFactory?.Invoke() ?? new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        sender = new PlatformSender(settings, apiKey, project, handler, time, jitter, jitterMode, Metrics, log, o.OnTraceRate);
        if (spool is not null && !spool.IsEmpty) EnsureReplay();
    }

    /// <summary>The spool's directory, or null when undeliverable requests are not kept.</summary>
    public string? SpoolDirectory => spool?.Directory;

    bool IDurableExporter.Spools => spool is not null;

    /// <summary><c>true</c> while the platform is known to be unreachable and requests go straight to the spool.</summary>
    public bool InOutage => Volatile.Read(ref outage) != 0;

    /// <summary>Completes when the replay of the spool that is running now has finished (at once when none runs).</summary>
    internal Task ReplayCompletion => Volatile.Read(ref replay);

    /// <inheritdoc />
    public string Name => "http";

    /// <summary>The health counters this exporter updates.</summary>
    public PandaProbeMetrics Metrics { get; }

    /// <summary>The rates the platform announced, and the pacing to them (for diagnostics and tests).</summary>
    internal RateGovernor Rates => sender.Rates;

    /// <summary>The current adaptive send limit (for diagnostics and tests).</summary>
    public AdaptiveLimit CurrentLimit => sender.Limit;

    /// <inheritdoc />
    public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        try
        {
            if (batch is null) return ExportResult.Success(0);
            if (batch.Running.Count + batch.Progress.Count > 0 && Volatile.Read(ref disposed) == 0 && !InOutage)
                await SendProgressAsync(batch, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0) return ExportResult.Success(0);
            var behind = LeftLane(batch.Traces.Count);
            Metrics.RecordQueued(batch.Count);
            if (Volatile.Read(ref disposed) != 0)
            {
                var kept = batch.Traces.Count(t => t is not null && KeepWrittenAhead(t.Id));
                tally.Defer(kept);
                if (batch.Count > kept)
                {
                    tally.Fail(batch.Count - kept, DropReason.Cancelled, "the exporter is shut down");
                    Metrics.RecordFailed(DropReason.Cancelled, batch.Count - kept);
                }
                return tally.Result();
            }

            if (InOutage && spool is not null)
            {
                SpoolBatch(batch, tally);
                SpoolParked(tally);
                return tally.Result();
            }
            // Paced to the platform's rate, with more traces queued behind this batch than the pace sends in a few
            // seconds, or with the spool being replayed: the batch waits in the spool (on disk, replayed in order at the
            // same pace) rather than in memory, where a crash would lose it and a flush would wait for it.
            if (spool is not null && batch.Traces.Count > 0 && sender.Rates.TraceRate is not null
                && (Volatile.Read(ref replaying) != 0 || sender.Rates.Backlog(RequestKind.Trace, behind + batch.Traces.Count) > PacedBacklog))
            {
                SpoolBatch(batch, tally, $"the platform's rate ({sender.Rates.TraceRate}) is reached", unreachable: false);
                SpoolParked(tally);
                return tally.Result();
            }
            var traces = batch.Traces.Where(t => t is not null).ToList();
            await ForEachAsync(traces, t => ExportTraceAsync(t, tally, cancellationToken)).ConfigureAwait(false);
            // Late spans and scores of a trace that waits in the spool follow it there (after the traces were sent, so a
            // trace parked in this batch counts).
            var late = batch.LateSpans.Where(s => s is not null).ToList();
            var scores = batch.Scores.Where(s => s is not null).ToList();
            if (spool is not null && !spooledTraces.IsEmpty)
            {
                // One look per trace, so an item goes one way only even if the replay delivers its trace meanwhile.
                var spooled = late.Select(s => s.Trace).Concat(scores.Select(s => s.Trace)).Distinct().Where(TraceIsSpooled).ToHashSet();
                if (spooled.Count > 0)
                {
                    SpoolBatch(new ExportBatch([], late.Where(s => spooled.Contains(s.Trace)).ToList(),
                        scores.Where(s => spooled.Contains(s.Trace)).ToList()), tally, "their trace waits in the spool", unreachable: false);
                    late = late.Where(s => !spooled.Contains(s.Trace)).ToList();
                    scores = scores.Where(s => !spooled.Contains(s.Trace)).ToList();
                }
            }
            var groups = late.GroupBy(s => s.Trace)
                .SelectMany(g => SpanChunks.Chunk(g, Limits.MaxSpansPerRequest).Map(c => (Trace: g.Key, Spans: c)))
                .ToList();
            await ForEachAsync(groups, g => ExportLateSpansAsync(g.Trace, g.Spans, tally, cancellationToken)).ConfigureAwait(false);
            await ForEachAsync(scores, s => ExportScoreAsync(s, tally, cancellationToken)).ConfigureAwait(false);
            SpoolParked(tally);

            if (tally.CancelledCount > 0)
                log($"export deadline passed: {tally.CancelledCount} item(s) abandoned.");
            return tally.Result();
        }
        catch (Exception ex)
        {
            // Defensive: the contract is never to throw. Whatever was not accounted for is reported as failed.
            try { SpoolParked(tally); } catch (Exception) { /* reported below */ }
            var missing = Math.Max(0, (batch?.Count ?? 0) - tally.Exported - tally.Failed - tally.Deferred);
            if (missing > 0)
            {
                tally.Fail(missing, DropReason.PlatformRejected, ex.Message);
                Metrics.RecordFailed(DropReason.PlatformRejected, missing);
            }
            Report(ex);
            return tally.Result();
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken) => default;

    /// <inheritdoc />
    public async ValueTask ShutdownAsync(CancellationToken cancellationToken)
    {
        // One more try of the spool, briefly (the shutdown's own deadline is the pipeline's, shorter than this call's
        // token may be), then the replay stops; what is left waits for the next process.
        using (var brief = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            brief.CancelAfter(ShutdownDrain);
            await ((IDurableExporter)this).DrainAsync(brief.Token).ConfigureAwait(false);
        }
        // The replay stops; a request it had leased goes back to the spool for the next process.
        try { stopping.Cancel(); } catch (ObjectDisposedException) { }
        sender.Stop();
        try { await ReplayCompletion.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Dispose();
    }

    /// <summary>Stops the replay and releases the HTTP client.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try { stopping.Cancel(); } catch (ObjectDisposedException) { }
        sender.Dispose();
    }

    private Task ForEachAsync<T>(IReadOnlyCollection<T> items, Func<T, Task> body)
    {
        if (items.Count == 0) return Task.CompletedTask;
        // The adaptive gate bounds requests in flight; this bounds how many items are being prepared at once.
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrentRequests) };
        return Parallel.ForEachAsync(items, options, async (item, _) => await body(item).ConfigureAwait(false));
    }

    /// <summary>
    /// Live mode's progress, best-effort and before the batch's items: each trace that started (and has not completed
    /// in this same batch) as <c>POST /traces</c> with status RUNNING, then the spans that ended in open traces through
    /// add-spans (a 404 while the running trace is being stored is retried as ingestion lag). Nothing is counted,
    /// retried beyond that or spooled: the completed trace carries all of it again, and the platform upserts by id.
    /// </summary>
    private async Task SendProgressAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        // Progress never holds the batch's items for long: one try per request (replay: no transient retries) within
        // ProgressBudget in all; what does not make it goes with the completed trace.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ProgressBudget);
        var ct = budget.Token;
        var completing = batch.Traces.Where(t => t is not null).Select(t => t.Id).ToHashSet();
        foreach (var running in batch.Running)
        {
            if (running is null || completing.Contains(running.Id)) continue;
            if (!PlatformRequests.TryTrace(running, out var requests, out _)) continue;
            if (ct.IsCancellationRequested) return;
            var outcome = await sender.SendAsync(requests[0], replay: true, ct).ConfigureAwait(false);
            if (!outcome.Delivered) log($"live mode: the running trace {running.Id} was not sent ({outcome.Detail}); it is sent when it completes");
        }
        foreach (var group in batch.Progress.Where(s => s is not null && !completing.Contains(s.Trace)).GroupBy(s => s.Trace))
        {
            foreach (var chunk in SpanChunks.Chunk(group, Limits.MaxSpansPerRequest))
            {
                if (ct.IsCancellationRequested || !PlatformRequests.TrySpans(group.Key, chunk, out var request, out _)) continue;
                var outcome = await sender.SendAsync(request!, replay: true, ct).ConfigureAwait(false);
                if (!outcome.Delivered) log($"live mode: {chunk.Count} span(s) of trace {group.Key} were not sent yet ({outcome.Detail}); they are sent with the trace");
            }
        }
    }

    /// <summary>A trace's requests (<see cref="PlatformRequests.TryTrace"/>); null, settled as dropped when a tally is given, when a body failed.</summary>
    private List<PlatformRequest>? TraceRequests(TraceRecord trace, Tally? tally)
    {
        if (PlatformRequests.TryTrace(trace, out var requests, out var why)) return requests;
        if (tally is not null) Refused(why!, 1, tally);
        return null;
    }

    private PlatformRequest? SpansRequest(TraceId traceId, Seq<Span> spans, Tally tally)
    {
        if (PlatformRequests.TrySpans(traceId, spans, out var request, out var why)) return request;
        Refused(why!, spans.Count, tally);
        return null;
    }

    private PlatformRequest? ScoreRequest(Score score, Tally tally)
    {
        if (PlatformRequests.TryScore(score, out var request, out var why)) return request;
        Refused(why!, 1, tally);
        return null;
    }

    private void Refused(Unbuildable why, int items, Tally tally) =>
        Settle(SendOutcome.Dropped(why.Reason, why.Detail, why.Path, "-", why.Exception), items, tally);

    private async Task ExportTraceAsync(TraceRecord trace, Tally tally, CancellationToken ct)
    {
        if (TraceRequests(trace, tally) is not { } requests) return;
        var outcome = await sender.SendAsync(requests[0], replay: false, ct).ConfigureAwait(false);
        if (!outcome.Delivered && outcome.Reason == DropReason.NotFound && trace.ContinuationSpan is not null
            && PlatformRequests.TryPlaceholder(trace, out var placeholder))
        {
            // The upstream trace is still not stored after the ingestion lag's retries: it is still running (it is
            // posted when it ends), or its process sends elsewhere. A placeholder gives the spans a trace to join; the
            // upstream trace's own upsert replaces every field of it later.
            if ((await sender.SendAsync(placeholder!, replay: false, ct).ConfigureAwait(false)).Delivered)
                outcome = await sender.SendAsync(requests[0], replay: false, ct).ConfigureAwait(false);
        }
        var next = 1;
        for (; next < requests.Count && outcome.Delivered; next++)
        {
            var chunkOutcome = await sender.SendAsync(requests[next], replay: false, ct).ConfigureAwait(false);
            if (!chunkOutcome.Delivered)
            {
                var chunks = SpanChunks.Split(trace);
                var lost = chunks.Rest.Skip(next - 1).Sum(c => c.Count);
                outcome = chunkOutcome with { Detail = $"{lost} of {chunks.Count} spans not delivered: {chunkOutcome.Detail}" };
            }
        }
        // A trace the platform took, whose later chunks failed, keeps only those chunks (never the whole copy).
        if (SettleWrittenAhead(trace.Id, outcome, tally, partial: !outcome.Delivered && next >= 2)) return;
        var unsent = outcome.Delivered ? [] : requests.GetRange(next - 1, requests.Count - next + 1);
        Finish(outcome, unsent, 1, tally);
    }

    private async Task ExportLateSpansAsync(TraceId traceId, Seq<Span> spans, Tally tally, CancellationToken ct)
    {
        if (SpansRequest(traceId, spans, tally) is not { } request) return;
        var outcome = await sender.SendAsync(request, replay: false, ct).ConfigureAwait(false);
        Finish(outcome, [request], spans.Count, tally);
    }

    private async Task ExportScoreAsync(Score score, Tally tally, CancellationToken ct)
    {
        if (ScoreRequest(score, tally) is not { } request) return;
        var outcome = await sender.SendAsync(request, replay: false, ct).ConfigureAwait(false);
        Finish(outcome, [request], 1, tally);
    }

    /// <summary>
    /// Settles an item: delivered; or, when it is to be kept for later, its unsent requests parked to be written to
    /// the spool with the rest of the batch's (<see cref="SpoolParked"/>: one file per batch); or dropped and reported.
    /// </summary>
    private void Finish(SendOutcome outcome, IReadOnlyList<PlatformRequest> unsent, int items, Tally tally)
    {
        if (!outcome.Delivered && spool is not null && unsent.Count > 0 && Spoolable(outcome.Reason))
        {
            if (unsent[0].Kind == RequestKind.Trace) NoteSpooled(unsent[0].TraceId);
            tally.Park(unsent, items, outcome);
            return;
        }
        Settle(outcome, items, tally);
    }

    /// <summary>Counts and reports items given up on outside a batch (spool limits, damaged files, replay refusals).</summary>
    private void Lost(DropReason reason, int items, string detail, string requestId, string path = "-", Exception? exception = null)
    {
        Metrics.RecordFailed(reason, items);
        var error = new PandaProbeDeliveryException(reason, path, requestId, detail, exception);
        log(error.Message);
        Report(error);
    }

    private void Settle(SendOutcome outcome, int items, Tally tally)
    {
        if (outcome.Delivered)
        {
            tally.Succeed(items);
            Metrics.RecordExported(items);
            Nudge();   // a replay waiting for the platform to answer goes on now
            return;
        }
        tally.Fail(items, outcome.Reason, outcome.Detail);
        if (outcome.Reason == DropReason.Cancelled)
        {
            Metrics.RecordFailed(outcome.Reason, items);   // summarised once per batch
            return;
        }
        Lost(outcome.Reason, items, outcome.Detail, outcome.RequestId, outcome.Path, outcome.Exception);
    }

    /// <summary>Adds a callback that receives a <see cref="PandaProbeDeliveryException"/> for every item given up on.</summary>
    /// <param name="handler">The callback; its exceptions are swallowed.</param>
    public void AddErrorHandler(Action<Exception> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (handlersGate) onError = [.. onError, handler];
    }

    private void Report(Exception error)
    {
        foreach (var handler in Volatile.Read(ref onError))
        {
            try { handler(error); }
            catch { /* the user's callback must not break delivery */ }
        }
    }

    /// <summary>The batch's running totals, updated from concurrent senders.</summary>
    private sealed class Tally
    {
        private readonly ConcurrentQueue<string> errors = new();
        private int exported, failed, cancelled, deferred;

        public int Exported => Volatile.Read(ref exported);
        public int Failed => Volatile.Read(ref failed);
        public int CancelledCount => Volatile.Read(ref cancelled);
        public int Deferred => Volatile.Read(ref deferred);

        public void Succeed(int items) => Interlocked.Add(ref exported, items);

        public void Defer(int items) => Interlocked.Add(ref deferred, items);

        private readonly ConcurrentQueue<(IReadOnlyList<PlatformRequest> Requests, int Items, SendOutcome Outcome)> parked = new();

        /// <summary>Keeps an item's unsent requests to be written to the spool with the batch's others.</summary>
        public void Park(IReadOnlyList<PlatformRequest> requests, int items, SendOutcome outcome) => parked.Enqueue((requests, items, outcome));

        /// <summary>The parked items, taken (each once).</summary>
        public List<(IReadOnlyList<PlatformRequest> Requests, int Items, SendOutcome Outcome)> TakeParked()
        {
            var list = new List<(IReadOnlyList<PlatformRequest>, int, SendOutcome)>();
            while (parked.TryDequeue(out var p)) list.Add(p);
            return list;
        }

        public void Fail(int items, DropReason reason, string detail)
        {
            Interlocked.Add(ref failed, items);
            if (reason == DropReason.Cancelled) Interlocked.Add(ref cancelled, items);
            if (errors.Count < 3) errors.Enqueue($"{reason.Name()}: {detail}");
        }

        public ExportResult Result() =>
            new(Exported, Failed, Failed == 0 ? null : $"{Failed} item(s) not delivered; " + string.Join("; ", errors))
            {
                Deferred = Volatile.Read(ref deferred),
            };
    }
}
