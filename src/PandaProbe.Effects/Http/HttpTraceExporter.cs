using PandaProbe.Exporters;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Reflection;
using PandaProbe.Diagnostics;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;
using PandaProbe.Serialization;
using PandaProbe.Spool;
using System.Text.Json;

namespace PandaProbe.Http;

/// <summary>
/// Delivers batches to the PandaProbe platform: <c>POST /traces</c> per trace (at most 500 spans; the rest follow
/// through <c>POST /traces/{id}/spans</c>), late spans through the same add-spans route, and scores through
/// <c>POST /evaluations/trace-scores</c>. Requests run concurrently up to an adaptive limit that narrows on 429 and
/// recovers on success; transient failures (429, 5xx, network, timeouts) are retried with exponential backoff and
/// jitter, honouring <c>Retry-After</c>; a 404 caused by the platform's ingestion lag is retried for add-spans and
/// scores. With a spool (<see cref="HttpExporterOptions"/>), a request that cannot be delivered now (retries spent on
/// an unreachable or failing platform, or the shutdown deadline) is written to disk and replayed, oldest first, by this
/// or a later process once the platform answers; while the platform is known to be unreachable new requests go
/// straight to the spool. A score is posted again only when the platform cannot have stored it; after a lost answer
/// it is looked up by its delivery key instead (<see cref="DeliveryKey"/>), so a score is never stored twice. Every
/// item is delivered, spooled, or counted as dropped with its reason and reported to the error callback. Never throws.
/// </summary>
internal sealed class HttpTraceExporter : ITraceExporter, IDurableExporter, IDisposable
{
    /// <summary>The <c>User-Agent</c> sent with every request: <c>pandaprobe-dotnet/&lt;version&gt;</c>.</summary>
    public static string UserAgent { get; } = "pandaprobe-dotnet/" + SdkVersion();

    private readonly SdkSettings settings;
    private readonly HttpClient client;
    private readonly TimeProvider time;
    private readonly Func<double> jitter;
    private readonly JitterMode jitterMode;
    private readonly object handlersGate = new();
    private Action<Exception>[] onError;
    private readonly Action<string> log;
    private readonly AdaptiveGate gate;
    private readonly bool ownsMetrics;
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

    /// <summary>How long a write-ahead copy is held by its process (a copy whose process is gone is free at once).</summary>
    internal static readonly TimeSpan WriteAheadLease = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The metadata key a score carries its delivery id under, so that after a lost answer the exporter can ask the
    /// platform whether the score was stored instead of posting it again.
    /// </summary>
    public const string DeliveryKey = "pandaprobe_delivery_id";

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
        ownsMetrics = o.Metrics is null;
        Metrics = o.Metrics ?? new PandaProbeMetrics();
        log = o.Log ?? (line => Console.Error.WriteLine("[pandaprobe] " + line));
        spool = o.Spool;
        spoolLog = new RateLimitedLog(log, time);
        gate = new AdaptiveGate(AdaptiveLimit.Start(settings.MaxConcurrentRequests, settings.InitialBackoff, settings.MaxBackoff));

        var handler = o.HandlerFactory?.Invoke() ?? new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-API-Key", apiKey);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Project-Name", project);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", UserAgent);
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

    /// <summary>The current adaptive send limit (for diagnostics and tests).</summary>
    public AdaptiveLimit CurrentLimit => gate.Limit;

    /// <inheritdoc />
    public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        try
        {
            if (batch is null || batch.Count == 0) return ExportResult.Success(0);
            Metrics.RecordQueued(batch.Count);
            if (Volatile.Read(ref disposed) != 0)
            {
                var kept = batch.Traces.Count(t => t is not null && KeepWrittenAhead(t.Id));
                tally.Defer(kept);
                if (batch.Count > kept)
                {
                    tally.Fail(batch.Count - kept, DropReasons.Cancelled, "the exporter is shut down");
                    Metrics.RecordFailed(DropReasons.Cancelled, batch.Count - kept);
                }
                return tally.Result();
            }

            if (InOutage && spool is not null)
            {
                SpoolBatch(batch, tally);
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
                tally.Fail(missing, DropReasons.Rejected, ex.Message);
                Metrics.RecordFailed(DropReasons.Rejected, missing);
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
        // The replay stops; a request it had leased goes back to the spool for the next process.
        try { stopping.Cancel(); } catch (ObjectDisposedException) { }
        try { await ReplayCompletion.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Dispose();
    }

    /// <summary>Stops the replay and releases the HTTP client (and the counters when the exporter created them).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try { stopping.Cancel(); } catch (ObjectDisposedException) { }
        client.Dispose();
        if (ownsMetrics) Metrics.Dispose();
    }

    private Task ForEachAsync<T>(IReadOnlyCollection<T> items, Func<T, Task> body)
    {
        if (items.Count == 0) return Task.CompletedTask;
        // The adaptive gate bounds requests in flight; this bounds how many items are being prepared at once.
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrentRequests) };
        return Parallel.ForEachAsync(items, options, async (item, _) => await body(item).ConfigureAwait(false));
    }

    /// <summary>One request as sent and as spooled: its route, body, the items it delivers and its delivery id.</summary>
    private sealed record Request(RequestKind Kind, string Path, byte[] Body, int Items, string DeliveryId, string TraceId)
    {
        public SpoolEntry ToEntry() => new(Kind switch
        {
            RequestKind.Trace => SpoolKind.Trace,
            RequestKind.AddSpans => SpoolKind.Spans,
            _ => SpoolKind.Score,
        }, Path, DeliveryId, TraceId, Items, Body);

        public static Request From(SpoolEntry e) => new(e.Kind switch
        {
            SpoolKind.Trace => RequestKind.Trace,
            SpoolKind.Spans => RequestKind.AddSpans,
            _ => RequestKind.Score,
        }, e.Path, e.Body, e.Items, e.DeliveryId, e.TraceId);
    }

    private static string NewId() => Guid.NewGuid().ToString("D");

    /// <summary>A trace's requests: the trace with its first 500 spans, then the rest through add-spans. Null when a body failed.</summary>
    private List<Request>? TraceRequests(Trace trace, Tally? tally)
    {
        var chunks = SpanChunks.Split(trace);
        const string path = "/traces";
        if (!TryBody(() => WireJson.TraceUtf8(trace, chunks.First), path, out var body, tally, 1)) return null;
        var traceId = trace.Id.ToString();
        var requests = new List<Request> { new(RequestKind.Trace, path, body, 1, NewId(), traceId) };
        foreach (var chunk in chunks.Rest)
        {
            var spansPath = $"/traces/{traceId}/spans";
            if (!TryBody(() => WireJson.SpansUtf8(chunk), spansPath, out var spansBody, tally, 1)) return null;
            // The trace is the item; the chunks that carry its other spans count as none of their own.
            requests.Add(new Request(RequestKind.AddSpans, spansPath, spansBody, 0, NewId(), traceId));
        }
        return requests;
    }

    private Request? SpansRequest(TraceId traceId, Seq<Span> spans, Tally tally)
    {
        var path = $"/traces/{traceId}/spans";
        return TryBody(() => WireJson.SpansUtf8(spans), path, out var body, tally, spans.Count)
            ? new Request(RequestKind.AddSpans, path, body, spans.Count, NewId(), traceId.ToString())
            : null;
    }

    private Request? ScoreRequest(Score score, Tally tally)
    {
        const string path = "/evaluations/trace-scores";
        if (ClientLimits.Check(score).TryGet(out var problem))
        {
            Settle(Outcome.Dropped(DropReasons.Invalid, problem, path, "-", null), 1, tally);
            return null;
        }
        var id = NewId();
        var keyed = score with { Metadata = score.Metadata.AddOrUpdate(DeliveryKey, Payload.Text(id)) };
        return TryBody(() => WireJson.ScoreUtf8(keyed), path, out var body, tally, 1)
            ? new Request(RequestKind.Score, path, body, 1, id, score.Trace.ToString())
            : null;
    }

    private async Task ExportTraceAsync(Trace trace, Tally tally, CancellationToken ct)
    {
        if (TraceRequests(trace, tally) is not { } requests) return;
        var outcome = await SendAsync(requests[0], replay: false, ct).ConfigureAwait(false);
        var next = 1;
        for (; next < requests.Count && outcome.Delivered; next++)
        {
            var chunkOutcome = await SendAsync(requests[next], replay: false, ct).ConfigureAwait(false);
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
        var outcome = await SendAsync(request, replay: false, ct).ConfigureAwait(false);
        Finish(outcome, [request], spans.Count, tally);
    }

    private async Task ExportScoreAsync(Score score, Tally tally, CancellationToken ct)
    {
        if (ScoreRequest(score, tally) is not { } request) return;
        var outcome = await SendAsync(request, replay: false, ct).ConfigureAwait(false);
        Finish(outcome, [request], 1, tally);
    }

    /// <summary>
    /// Writes every item of <paramref name="batch"/> to the spool without trying to deliver it (the shutdown deadline
    /// passed, or the export queue overflowed). Returns how many items were kept, and how many it gave up on (counted and
    /// reported here); both 0 without a spool. Never throws.
    /// </summary>
    (int Kept, int Failed) IDurableExporter.SpoolNow(ExportBatch batch)
    {
        if (spool is null || batch is null || batch.Count == 0) return (0, 0);
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
    bool IDurableExporter.WriteAhead(Trace trace)
    {
        if (spool is null || trace is null) return false;
        try
        {
            if (TraceRequests(trace, tally: null) is not { } requests) return false;   // the export side reports it
            if (spool.TryWriteLeased(requests.ConvertAll(r => r.ToEntry()), WriteAheadLease, out var evicted, out var error) is not { } lease)
            {
                spoolLog.Write("write-ahead", n => $"writing {n} trace(s) ahead to the spool at {spool.Directory} failed: {error}");
                return false;
            }
            if (evicted > 0) Lost(DropReasons.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
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
    private bool SettleWrittenAhead(TraceId id, Outcome outcome, Tally tally, bool partial = false)
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
                && !SettleWrittenAhead(trace.Id, Outcome.Dropped(DropReasons.RetriesExhausted, why, "/traces", "-", null) with { Unreachable = unreachable }, tally)
                && TraceRequests(trace, tally) is { } requests)
                Finish(Outcome.Dropped(DropReasons.RetriesExhausted, why, "/traces", "-", null) with { Unreachable = unreachable },
                    requests, 1, tally);
        foreach (var group in batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace))
            foreach (var chunk in SpanChunks.Chunk(group, Limits.MaxSpansPerRequest))
                if (SpansRequest(group.Key, chunk, tally) is { } request)
                    Finish(Outcome.Dropped(DropReasons.RetriesExhausted, why, request.Path, "-", null) with { Unreachable = unreachable },
                        [request], chunk.Count, tally);
        foreach (var score in batch.Scores)
            if (score is not null && ScoreRequest(score, tally) is { } request)
                Finish(Outcome.Dropped(DropReasons.RetriesExhausted, why, request.Path, "-", null) with { Unreachable = unreachable },
                    [request], 1, tally);
    }

    /// <summary>Reasons after which a request is kept in the spool rather than given up on.</summary>
    private static bool Spoolable(string reason) =>
        reason is DropReasons.RetriesExhausted or DropReasons.Cancelled or DropReasons.Unconfirmed;

    /// <summary>
    /// Settles an item: delivered; or, when it is to be kept for later, its unsent requests parked to be written to
    /// the spool with the rest of the batch's (<see cref="SpoolParked"/>: one file per batch); or dropped and reported.
    /// </summary>
    private void Finish(Outcome outcome, IReadOnlyList<Request> unsent, int items, Tally tally)
    {
        if (!outcome.Delivered && spool is not null && unsent.Count > 0 && Spoolable(outcome.Reason))
        {
            if (unsent[0].Kind == RequestKind.Trace) NoteSpooled(unsent[0].TraceId);
            tally.Park(unsent, items, outcome);
            return;
        }
        Settle(outcome, items, tally);
    }

    /// <summary>
    /// Writes the batch's parked requests to the spool as one file (a file per item would cost a file's system calls
    /// per trace during an outage); notes an outage when the platform was unreachable. When the file cannot be
    /// written, each parked item is dropped and reported.
    /// </summary>
    private void SpoolParked(Tally tally)
    {
        var parked = tally.TakeParked();
        if (parked.Count == 0 || spool is null) return;
        var entries = parked.SelectMany(p => p.Requests).Select(r => r.ToEntry()).ToList();
        var items = parked.Sum(p => p.Items);
        var why = parked[0].Outcome.Detail;
        if (!spool.TryWrite(entries, out var evicted, out var error))
        {
            log($"writing to the spool at {spool.Directory} failed: {error}");
            foreach (var p in parked) Settle(p.Outcome, p.Items, tally);
            return;
        }
        if (evicted > 0) Lost(DropReasons.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
        tally.Defer(items);
        Metrics.RecordSpooled(items);
        spoolLog.Write("spool", n => $"{n} item(s) written to the spool at {spool.Directory} (not delivered now: {why}).", items);
        if (parked.Any(p => p.Outcome.Unreachable)) EnterOutage(why);
        EnsureReplay();
    }

    /// <summary>Counts and reports items given up on outside a batch (spool limits, damaged files, replay refusals).</summary>
    private void Lost(string reason, int items, string detail, string requestId, string path = "-", Exception? exception = null)
    {
        Metrics.RecordFailed(reason, items);
        var error = new PandaProbeDeliveryException(reason, path, requestId, detail, exception);
        log(error.Message);
        Report(error);
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
                var files = spool!.Ready(out var expired);
                if (expired > 0) Lost(DropReasons.SpoolExpired, expired, $"kept longer than the spool's age limit ({spool.MaxAge})", "-");
                if (files.Count == 0 && !spool.HasWorkForReplay)
                {
                    // Nothing left but this process's own write-ahead copies of traces in flight: the replay ends.
                    Volatile.Write(ref outage, 0);
                    Volatile.Write(ref replaying, 0);
                    owned = false;
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
                            Lost(DropReasons.SpoolCorrupt, file.Items, $"spool file {Path.GetFileName(file.FullPath)} is damaged (torn or altered); it was deleted, not replayed", "-");
                        continue;
                    }
                    // The file's requests in order (a trace before the add-spans of its other spans); the settled ones
                    // (delivered, or refused for good) are left out if the rest has to wait.
                    var settled = 0;
                    for (; settled < entries.Count && !stopping.IsCancellationRequested; settled++)
                    {
                        var request = Request.From(entries[settled]);
                        var outcome = await SendAsync(request, replay: true, stopping.Token).ConfigureAwait(false);
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
                        Lost(DropReasons.SpoolFull, evicted, $"the spool reached its size limit ({spool.MaxBytes} bytes): the oldest request(s) were deleted", "-");
                    if (blocked || stopping.IsCancellationRequested) break;
                }
                // Blocked by the platform, or nothing could be leased (other processes hold it all): wait before looking again.
                if ((blocked || !leasedAny) && !stopping.IsCancellationRequested)
                {
                    var delay = Backoff.Delay(waits++, settings.InitialBackoff, settings.MaxBackoff, jitter(), jitterMode);
                    try { await Task.Delay(delay, time, stopping.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
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
        }
    }

    /// <summary>Builds a body; a failure is settled as dropped (serialization) unless <paramref name="tally"/> is null.</summary>
    private bool TryBody(Func<byte[]> write, string path, out byte[] body, Tally? tally, int items)
    {
        try
        {
            body = write();
            return true;
        }
        catch (Exception ex)
        {
            body = [];
            if (tally is not null) Settle(Outcome.Dropped(DropReasons.Serialization, ex.Message, path, "-", ex), items, tally);
            return false;
        }
    }

    private void Settle(Outcome outcome, int items, Tally tally)
    {
        if (outcome.Delivered)
        {
            tally.Succeed(items);
            Metrics.RecordExported(items);
            return;
        }
        tally.Fail(items, outcome.Reason, outcome.Detail);
        if (outcome.Reason == DropReasons.Cancelled)
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

    /// <summary>How a score is sent: posted; looked up only (its answer was lost); or looked up, then posted if absent (replay).</summary>
    private enum ScoreMode { Post, LookupOnly, LookupThenPost }

    /// <summary>
    /// One logical request: the same X-Request-ID on every attempt, retried per the matrix. A score whose answer was lost
    /// (sent, then a timeout or a broken connection) is never posted again in this call: it is looked up by its delivery
    /// key until it is found or the lookups run out (<see cref="DropReasons.Unconfirmed"/>). A replayed request gets no
    /// transient retries of its own (the replay backs off between tries), and a replayed score is looked up first.
    /// </summary>
    private async Task<Outcome> SendAsync(Request request, bool replay, CancellationToken ct)
    {
        var requestId = request.DeliveryId;
        var path = request.Path;
        var url = settings.Url(path);
        var mode = request.Kind == RequestKind.Score && replay ? ScoreMode.LookupThenPost : ScoreMode.Post;
        var transientRetries = 0;
        var lagRetries = 0;
        var ambiguous = false;
        while (true)
        {
            if (ct.IsCancellationRequested) return Outcome.Dropped(DropReasons.Cancelled, "deadline passed", path, requestId, null);

            RetryDecision decision;
            string? retryAfter = null;
            Exception? failure = null;
            try
            {
                await gate.EnterAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Outcome.Dropped(DropReasons.Cancelled, "deadline passed", path, requestId, null);
            }
            try
            {
                var pause = gate.Limit.Pause;
                if (pause > TimeSpan.Zero) await Task.Delay(pause, time, ct).ConfigureAwait(false);
                if (mode == ScoreMode.Post)
                {
                    bool unanswered;
                    (decision, retryAfter, failure, unanswered) = await AttemptAsync(request.Kind, url, request.Body, requestId, ct).ConfigureAwait(false);
                    if (unanswered)
                    {
                        ambiguous = true;
                        if (request.Kind == RequestKind.Score) mode = ScoreMode.LookupOnly;
                    }
                }
                else
                {
                    bool? found;
                    (found, decision, failure) = await LookupScoreAsync(request, ct).ConfigureAwait(false);
                    if (found == false && mode == ScoreMode.LookupThenPost)
                    {
                        mode = ScoreMode.Post;
                        continue;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Outcome.Dropped(DropReasons.Cancelled, "deadline passed", path, requestId, null);
            }
            catch (Exception) when (Volatile.Read(ref disposed) != 0 || stopping.IsCancellationRequested)
            {
                // Shut down mid-send: the request is kept (spooled), not refused.
                return Outcome.Dropped(DropReasons.Cancelled, "the exporter shut down", path, requestId, null);
            }
            catch (Exception ex)
            {
                // Not a transport failure: retrying cannot help.
                return Outcome.Dropped(DropReasons.Rejected, ex.Message, path, requestId, ex);
            }
            finally
            {
                gate.Exit();
            }

            switch (decision)
            {
                case RetryDecision.Success:
                    gate.Report(throttled: false, success: true);
                    if (settings.Debug) log($"delivered {path} (request {requestId})");
                    return Outcome.Ok(path, requestId);
                case RetryDecision.Drop drop:
                    gate.Report(throttled: false, success: false);
                    return Outcome.Dropped(drop.Reason, drop.Detail, path, requestId, failure);
                case RetryDecision.Quota quota:
                    gate.Report(throttled: true, success: false);
                    return Outcome.Dropped(DropReasons.Quota, quota.Detail, path, requestId, failure);
                case RetryDecision.Retry retry:
                {
                    gate.Report(throttled: retry.Throttled, success: false);
                    var attempt = retry.IngestionLag ? lagRetries++ : transientRetries++;
                    var budget = retry.IngestionLag ? settings.MaxIngestionLagRetries : replay ? 0 : settings.MaxRetries;
                    if (attempt >= budget)
                    {
                        var reason = ambiguous ? DropReasons.Unconfirmed
                            : retry.IngestionLag && retry.Reason.StartsWith("HTTP 404", StringComparison.Ordinal) ? DropReasons.NotFound
                            : DropReasons.RetriesExhausted;
                        var what = ambiguous ? "sent, but no answer confirmed it arrived" : $"gave up after {attempt + 1} attempt(s)";
                        return Outcome.Dropped(reason, $"{what}: {retry.Reason}", path, requestId, failure)
                            with { Unreachable = !retry.Throttled && !retry.IngestionLag };
                    }
                    var delay = RetryAfter.Parse(retryAfter, time.GetUtcNow(), settings.RetryAfterCap)
                        .IfNone(() => Backoff.Delay(attempt, settings.InitialBackoff, settings.MaxBackoff, jitter(), jitterMode));
                    Metrics.RecordRetried();
                    if (settings.Debug) log($"retrying {path} (request {requestId}) in {delay.TotalMilliseconds:0} ms: {retry.Reason}");
                    try
                    {
                        if (delay > TimeSpan.Zero) await Task.Delay(delay, time, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return Outcome.Dropped(DropReasons.Cancelled, "deadline passed during backoff", path, requestId, failure);
                    }
                    break;
                }
            }
        }
    }

    /// <summary>
    /// One attempt. <c>Unanswered</c> is true when the request may have reached the platform without an answer coming
    /// back (a timeout, or a connection broken after it was established), so the platform may have stored it.
    /// </summary>
    private async Task<(RetryDecision Decision, string? RetryAfter, Exception? Failure, bool Unanswered)> AttemptAsync(
        RequestKind kind, Uri url, byte[] body, string requestId, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(settings.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content = content;
        request.Headers.TryAddWithoutValidation("X-Request-ID", requestId);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            string? text = null;
            if (status is < 200 or >= 300)
            {
                try { text = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false); }
                catch (Exception) when (!ct.IsCancellationRequested) { text = null; }
            }
            var retryAfter = response.Headers.NonValidated.TryGetValues("Retry-After", out var values) ? values.ToString() : null;
            return (RetryDecision.Classify(status, text, kind), retryAfter, null, false);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            return (RetryDecision.NetworkError($"no answer within {settings.RequestTimeout.TotalSeconds:0.###} s"), null, ex, true);
        }
        catch (HttpRequestException ex)
        {
            var notSent = ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
            return (RetryDecision.NetworkError(ex.Message), null, ex, !notSent);
        }
        catch (IOException ex)
        {
            return (RetryDecision.NetworkError(ex.Message), null, ex, true);
        }
    }

    /// <summary>
    /// Asks the platform whether a score was stored: <c>GET /evaluations/trace-scores/{trace_id}</c> lists the latest
    /// score per name, each with its metadata; the score is found when one carries its delivery key. Found: success;
    /// absent: <c>false</c> (with a lag retry, for a caller that only looks); a failed lookup: the usual retry matrix.
    /// </summary>
    private async Task<(bool? Found, RetryDecision Decision, Exception? Failure)> LookupScoreAsync(Request score, CancellationToken ct)
    {
        var absent = (false, (RetryDecision)new RetryDecision.Retry("the score is not on the platform (yet)", Throttled: false, IngestionLag: true), (Exception?)null);
        using var timeout = new CancellationTokenSource(settings.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await client.GetAsync(settings.Url($"/evaluations/trace-scores/{score.TraceId}"), linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status == 404) return absent;
            if (status is < 200 or >= 300)
            {
                var text = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
                return (null, RetryDecision.Classify(status, text, RequestKind.Trace), null);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            using var doc = await JsonDocument.ParseAsync(stream, default, linked.Token).ConfigureAwait(false);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
                foreach (var item in doc.RootElement.EnumerateArray())
                    if (item.ValueKind == JsonValueKind.Object
                        && item.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                        && metadata.TryGetProperty(DeliveryKey, out var key) && key.ValueKind == JsonValueKind.String
                        && key.ValueEquals(score.DeliveryId))
                        return (true, new RetryDecision.Success(), null);
            return absent;
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            return (null, RetryDecision.NetworkError($"no answer within {settings.RequestTimeout.TotalSeconds:0.###} s"), ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
        {
            return (null, RetryDecision.NetworkError(ex.Message), ex);
        }
    }

    private static string SdkVersion()
    {
        var assembly = typeof(HttpTraceExporter).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var version = informational ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus >= 0 ? version[..plus] : version;
    }

    private sealed record Outcome(bool Delivered, string Reason, string Detail, string Path, string RequestId, Exception? Exception)
    {
        /// <summary>The last failure said the platform is unreachable or failing (network, 5xx), not busy (429) or lagging.</summary>
        public bool Unreachable { get; init; }

        public static Outcome Ok(string path, string requestId) => new(true, string.Empty, string.Empty, path, requestId, null);

        public static Outcome Dropped(string reason, string detail, string path, string requestId, Exception? exception) =>
            new(false, reason, detail, path, requestId, exception);
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

        private readonly ConcurrentQueue<(IReadOnlyList<Request> Requests, int Items, Outcome Outcome)> parked = new();

        /// <summary>Keeps an item's unsent requests to be written to the spool with the batch's others.</summary>
        public void Park(IReadOnlyList<Request> requests, int items, Outcome outcome) => parked.Enqueue((requests, items, outcome));

        /// <summary>The parked items, taken (each once).</summary>
        public List<(IReadOnlyList<Request> Requests, int Items, Outcome Outcome)> TakeParked()
        {
            var list = new List<(IReadOnlyList<Request>, int, Outcome)>();
            while (parked.TryDequeue(out var p)) list.Add(p);
            return list;
        }

        public void Fail(int items, string reason, string detail)
        {
            Interlocked.Add(ref failed, items);
            if (reason == DropReasons.Cancelled) Interlocked.Add(ref cancelled, items);
            if (errors.Count < 3) errors.Enqueue($"{reason}: {detail}");
        }

        public ExportResult Result() =>
            new(Exported, Failed, Failed == 0 ? null : $"{Failed} item(s) not delivered; " + string.Join("; ", errors))
            {
                Deferred = Volatile.Read(ref deferred),
            };
    }
}

/// <summary>
/// A log line that may repeat under load, written at most once per <see cref="Every"/>: the first occurrence at once,
/// later ones summed into the next line.
/// </summary>
internal sealed class RateLimitedLog(Action<string> log, TimeProvider time)
{
    /// <summary>The shortest time between two lines of one key.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private readonly object gate = new();
    private readonly Dictionary<string, (DateTimeOffset Last, long Pending)> keys = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="count"/> to <paramref name="key"/>'s total and writes a line when one is due.</summary>
    public void Write(string key, Func<long, string> line, long count = 1)
    {
        long total;
        lock (gate)
        {
            var now = time.GetUtcNow();
            keys.TryGetValue(key, out var state);
            total = state.Pending + count;
            if (state.Last != default && now - state.Last < Every)
            {
                keys[key] = (state.Last, total);
                return;
            }
            keys[key] = (now, 0);
        }
        try { log(line(total)); } catch { /* logging must not break delivery */ }
    }
}
