using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Reflection;
using PandaProbe.Diagnostics;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;
using PandaProbe.Serialization;

namespace PandaProbe.Exporters;

/// <summary>
/// Delivers batches to the PandaProbe platform: <c>POST /traces</c> per trace (at most 500 spans; the rest follow
/// through <c>POST /traces/{id}/spans</c>), late spans through the same add-spans route, and scores through
/// <c>POST /evaluations/trace-scores</c>. Requests run concurrently up to an adaptive limit that narrows on 429 and
/// recovers on success; transient failures (429, 5xx, network, timeouts) are retried with exponential backoff and
/// jitter, honouring <c>Retry-After</c>; a 404 caused by the platform's ingestion lag is retried for add-spans and
/// scores. Every item is either delivered or counted as dropped with its reason and reported to the error callback.
/// Never throws.
/// </summary>
public sealed class HttpTraceExporter : ITraceExporter, IDisposable
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
    private int disposed;

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
    }

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
                tally.Fail(batch.Count, DropReasons.Cancelled, "the exporter is shut down");
                Metrics.RecordFailed(DropReasons.Cancelled, batch.Count);
                return tally.Result();
            }

            var traces = batch.Traces.Where(t => t is not null).ToList();
            await ForEachAsync(traces, t => ExportTraceAsync(t, tally, cancellationToken)).ConfigureAwait(false);
            var groups = batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace)
                .SelectMany(g => SpanChunks.Chunk(g, Limits.MaxSpansPerRequest).Map(c => (Trace: g.Key, Spans: c)))
                .ToList();
            await ForEachAsync(groups, g => ExportLateSpansAsync(g.Trace, g.Spans, tally, cancellationToken)).ConfigureAwait(false);
            await ForEachAsync(batch.Scores.Where(s => s is not null).ToList(), s => ExportScoreAsync(s, tally, cancellationToken)).ConfigureAwait(false);

            if (tally.CancelledCount > 0)
                log($"export deadline passed: {tally.CancelledCount} item(s) abandoned.");
            return tally.Result();
        }
        catch (Exception ex)
        {
            // Defensive: the contract is never to throw. Whatever was not accounted for is reported as failed.
            var missing = Math.Max(0, (batch?.Count ?? 0) - tally.Exported - tally.Failed);
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
    public ValueTask ShutdownAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return default;
    }

    /// <summary>Releases the HTTP client (and the counters when the exporter created them).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
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

    private async Task ExportTraceAsync(Trace trace, Tally tally, CancellationToken ct)
    {
        var chunks = SpanChunks.Split(trace);
        var path = "/traces";
        if (!TryBody(() => WireJson.TraceUtf8(trace, chunks.First), path, out var body, tally, 1)) return;

        var outcome = await SendAsync(RequestKind.Trace, path, body, ct).ConfigureAwait(false);
        var part = 0;
        foreach (var chunk in chunks.Rest)
        {
            if (!outcome.Delivered) break;
            part++;
            var spansPath = $"/traces/{trace.Id}/spans";
            if (!TryBody(() => WireJson.SpansUtf8(chunk), spansPath, out var spansBody, tally, 1)) return;
            var chunkOutcome = await SendAsync(RequestKind.AddSpans, spansPath, spansBody, ct).ConfigureAwait(false);
            if (!chunkOutcome.Delivered)
            {
                var lost = chunks.Rest.Skip(part - 1).Sum(c => c.Count);
                outcome = chunkOutcome with { Detail = $"{lost} of {chunks.Count} spans not delivered: {chunkOutcome.Detail}" };
            }
        }
        Settle(outcome, 1, tally);
    }

    private async Task ExportLateSpansAsync(TraceId traceId, Seq<Span> spans, Tally tally, CancellationToken ct)
    {
        var path = $"/traces/{traceId}/spans";
        if (!TryBody(() => WireJson.SpansUtf8(spans), path, out var body, tally, spans.Count)) return;
        var outcome = await SendAsync(RequestKind.AddSpans, path, body, ct).ConfigureAwait(false);
        Settle(outcome, spans.Count, tally);
    }

    private async Task ExportScoreAsync(Score score, Tally tally, CancellationToken ct)
    {
        const string path = "/evaluations/trace-scores";
        if (ClientLimits.Check(score).TryGet(out var problem))
        {
            Settle(Outcome.Dropped(DropReasons.Invalid, problem, path, "-", null), 1, tally);
            return;
        }
        if (!TryBody(() => WireJson.ScoreUtf8(score), path, out var body, tally, 1)) return;
        var outcome = await SendAsync(RequestKind.Score, path, body, ct).ConfigureAwait(false);
        Settle(outcome, 1, tally);
    }

    private bool TryBody(Func<byte[]> write, string path, out byte[] body, Tally tally, int items)
    {
        try
        {
            body = write();
            return true;
        }
        catch (Exception ex)
        {
            body = [];
            Settle(Outcome.Dropped(DropReasons.Serialization, ex.Message, path, "-", ex), items, tally);
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
        Metrics.RecordFailed(outcome.Reason, items);
        if (outcome.Reason == DropReasons.Cancelled) return; // summarised once per batch
        var error = new PandaProbeDeliveryException(outcome.Reason, outcome.Path, outcome.RequestId, outcome.Detail, outcome.Exception);
        log(error.Message);
        Report(error);
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

    /// <summary>One logical request: the same X-Request-ID on every attempt, retried per the matrix.</summary>
    private async Task<Outcome> SendAsync(RequestKind kind, string path, byte[] body, CancellationToken ct)
    {
        var requestId = Guid.NewGuid().ToString("D");
        var url = settings.Url(path);
        var transientRetries = 0;
        var lagRetries = 0;
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
                (decision, retryAfter, failure) = await AttemptAsync(kind, url, body, requestId, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Outcome.Dropped(DropReasons.Cancelled, "deadline passed", path, requestId, null);
            }
            catch (Exception ex)
            {
                // Not a transport failure (e.g. the exporter was disposed): retrying cannot help.
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
                    var budget = retry.IngestionLag ? settings.MaxIngestionLagRetries : settings.MaxRetries;
                    if (attempt >= budget)
                    {
                        var reason = retry.IngestionLag && retry.Reason.StartsWith("HTTP 404", StringComparison.Ordinal)
                            ? DropReasons.NotFound
                            : DropReasons.RetriesExhausted;
                        return Outcome.Dropped(reason, $"gave up after {attempt + 1} attempt(s): {retry.Reason}", path, requestId, failure);
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

    private async Task<(RetryDecision Decision, string? RetryAfter, Exception? Failure)> AttemptAsync(
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
            return (RetryDecision.Classify(status, text, kind), retryAfter, null);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            return (RetryDecision.NetworkError($"no answer within {settings.RequestTimeout.TotalSeconds:0.###} s"), null, ex);
        }
        catch (HttpRequestException ex)
        {
            return (RetryDecision.NetworkError(ex.Message), null, ex);
        }
        catch (IOException ex)
        {
            return (RetryDecision.NetworkError(ex.Message), null, ex);
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
        public static Outcome Ok(string path, string requestId) => new(true, string.Empty, string.Empty, path, requestId, null);

        public static Outcome Dropped(string reason, string detail, string path, string requestId, Exception? exception) =>
            new(false, reason, detail, path, requestId, exception);
    }

    /// <summary>The batch's running totals, updated from concurrent senders.</summary>
    private sealed class Tally
    {
        private readonly ConcurrentQueue<string> errors = new();
        private int exported, failed, cancelled;

        public int Exported => Volatile.Read(ref exported);
        public int Failed => Volatile.Read(ref failed);
        public int CancelledCount => Volatile.Read(ref cancelled);

        public void Succeed(int items) => Interlocked.Add(ref exported, items);

        public void Fail(int items, string reason, string detail)
        {
            Interlocked.Add(ref failed, items);
            if (reason == DropReasons.Cancelled) Interlocked.Add(ref cancelled, items);
            if (errors.Count < 3) errors.Enqueue($"{reason}: {detail}");
        }

        public ExportResult Result() =>
            new(Exported, Failed, Failed == 0 ? null : $"{Failed} item(s) not delivered; " + string.Join("; ", errors));
    }
}
