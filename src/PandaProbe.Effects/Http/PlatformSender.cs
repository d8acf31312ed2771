using PandaProbe.Pipeline;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using PandaProbe.Diagnostics;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;

namespace PandaProbe.Http;

/// <summary>
/// Sending with retry: one logical request at a time per call, over one <see cref="HttpClient"/>, bounded by the
/// adaptive gate (<see cref="AdaptiveGate"/>: concurrency narrows on 429 and recovers on success, and a pause follows a
/// throttling answer). Each attempt is classified by the pure retry matrix (<see cref="RetryDecision"/>): transient
/// failures (429, 5xx, network, timeouts) are retried with exponential backoff and jitter (<see cref="Backoff"/>),
/// honouring <c>Retry-After</c> (<see cref="RetryAfter"/>), and a 404 caused by the platform's ingestion lag is retried
/// for add-spans and scores, each within its own budget from the settings. A score whose answer was lost is looked up
/// by its delivery key instead of being posted again. Never throws: every end is a <see cref="SendOutcome"/>.
/// </summary>
internal sealed class PlatformSender : IDisposable
{
    readonly SdkSettings settings;
    readonly HttpClient client;
    readonly TimeProvider time;
    readonly Func<double> jitter;
    readonly JitterMode jitterMode;
    readonly AdaptiveGate gate;
    readonly RateGovernor rates;
    readonly PandaProbeMetrics metrics;
    readonly Action<string> log;
    volatile bool stopped;

    /// <summary>The <c>User-Agent</c> sent with every request: <c>pandaprobe-dotnet/&lt;version&gt;</c>.</summary>
    public static string UserAgent { get; } = "pandaprobe-dotnet/" + SdkVersion();

    /// <param name="settings">The endpoint, credentials, timeouts and retry budgets.</param>
    /// <param name="apiKey">The API key header's value.</param>
    /// <param name="project">The project header's value.</param>
    /// <param name="handler">The HTTP handler (owned and disposed by the sender).</param>
    /// <param name="time">The clock of timeouts and backoff.</param>
    /// <param name="jitter">The jitter source of backoff.</param>
    /// <param name="jitterMode">How jitter applies.</param>
    /// <param name="metrics">Where retries are counted.</param>
    /// <param name="log">Where debug lines go.</param>
    /// <param name="onTraceRate">Told each rate the platform announces for <c>POST /traces</c>.</param>
    public PlatformSender(SdkSettings settings, string apiKey, string project, HttpMessageHandler handler, TimeProvider time,
        Func<double> jitter, JitterMode jitterMode, PandaProbeMetrics metrics, Action<string> log, Action<PlatformRate>? onTraceRate = null)
    {
        this.settings = settings;
        this.time = time;
        this.jitter = jitter;
        this.jitterMode = jitterMode;
        this.metrics = metrics;
        this.log = log;
        gate = new AdaptiveGate(AdaptiveLimit.Start(settings.MaxConcurrentRequests, settings.InitialBackoff, settings.MaxBackoff));
        rates = new RateGovernor(time, log, onTraceRate);
        client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-API-Key", apiKey);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Project-Name", project);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", UserAgent);
    }

    /// <summary>The current adaptive send limit.</summary>
    public AdaptiveLimit Limit => gate.Limit;

    /// <summary>The rates the platform announced, and the pacing to them.</summary>
    public RateGovernor Rates => rates;

    /// <summary>True once <see cref="Stop"/> was called: a send that fails from now on ends as cancelled (to be spooled).</summary>
    public bool Stopped => stopped;

    /// <summary>Marks the sender as stopping (the exporter is shutting down).</summary>
    public void Stop() => stopped = true;

    /// <summary>Stops and releases the HTTP client.</summary>
    public void Dispose()
    {
        stopped = true;
        client.Dispose();
    }

    /// <summary>How a score is sent: posted; looked up only (its answer was lost); or looked up, then posted if absent (replay).</summary>
    private enum ScoreMode { Post, LookupOnly, LookupThenPost }

    /// <summary>
    /// One logical request: the same X-Request-ID on every attempt, retried per the matrix. A score whose answer was lost
    /// (sent, then a timeout or a broken connection) is never posted again in this call: it is looked up by its delivery
    /// key until it is found or the lookups run out (<see cref="DropReason.Unconfirmed"/>). A replayed request gets no
    /// transient retries of its own (the replay backs off between tries), and a replayed score is looked up first.
    /// </summary>
    public async Task<SendOutcome> SendAsync(PlatformRequest request, bool replay, CancellationToken ct)
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
            if (ct.IsCancellationRequested) return SendOutcome.Dropped(DropReason.Cancelled, "deadline passed", path, requestId, null);

            RetryDecision decision;
            string? retryAfter = null;
            Exception? failure = null;
            try
            {
                // A route whose rate the platform announced is paced to it (the wait holds no slot of the gate).
                var slot = rates.Take(request.Kind);
                if (slot > TimeSpan.Zero) await Task.Delay(slot, time, ct).ConfigureAwait(false);
                await gate.EnterAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return SendOutcome.Dropped(DropReason.Cancelled, "deadline passed", path, requestId, null);
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
                return SendOutcome.Dropped(DropReason.Cancelled, "deadline passed", path, requestId, null);
            }
            catch (Exception) when (Stopped)
            {
                // Shut down mid-send: the request is kept (spooled), not refused.
                return SendOutcome.Dropped(DropReason.Cancelled, "the exporter shut down", path, requestId, null);
            }
            catch (Exception ex)
            {
                // Not a transport failure: retrying cannot help.
                return SendOutcome.Dropped(DropReason.PlatformRejected, ex.Message, path, requestId, ex);
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
                    return SendOutcome.Ok(path, requestId);
                case RetryDecision.Drop drop:
                    gate.Report(throttled: false, success: false);
                    return SendOutcome.Dropped(drop.Reason, drop.Detail, path, requestId, failure);
                case RetryDecision.Quota quota:
                    gate.Report(throttled: true, success: false);
                    return SendOutcome.Dropped(DropReason.Quota, quota.Detail, path, requestId, failure);
                case RetryDecision.Retry retry:
                {
                    gate.Report(throttled: retry.Throttled && retry.Announced is null, success: false);   // an announced rate is paced to, not backed off from
                    if (retry.Announced is { } announced) rates.Learn(request.Kind, announced);
                    var attempt = retry.IngestionLag ? lagRetries++ : transientRetries++;
                    var budget = retry.IngestionLag ? settings.MaxIngestionLagRetries : replay ? 0 : settings.MaxRetries;
                    if (attempt >= budget)
                    {
                        var reason = ambiguous ? DropReason.Unconfirmed
                            : retry.IngestionLag && retry.Reason.StartsWith("HTTP 404", StringComparison.Ordinal) ? DropReason.NotFound
                            : DropReason.RetriesExhausted;
                        var what = ambiguous ? "sent, but no answer confirmed it arrived" : $"gave up after {attempt + 1} attempt(s)";
                        return SendOutcome.Dropped(reason, $"{what}: {retry.Reason}", path, requestId, failure)
                            with { Unreachable = !retry.Throttled && !retry.IngestionLag };
                    }
                    // Retry-After when given; after an announced rate, the pacing's next slot (taken at the loop's top);
                    // else exponential backoff.
                    var delay = RetryAfter.Parse(retryAfter, time.GetUtcNow(), settings.RetryAfterCap)
                        .IfNone(() => retry.Announced is not null ? TimeSpan.Zero
                            : Backoff.Delay(attempt, settings.InitialBackoff, settings.MaxBackoff, jitter(), jitterMode));
                    metrics.RecordRetried();
                    if (settings.Debug) log($"retrying {path} (request {requestId}) in {delay.TotalMilliseconds:0} ms: {retry.Reason}");
                    try
                    {
                        if (delay > TimeSpan.Zero) await Task.Delay(delay, time, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return SendOutcome.Dropped(DropReason.Cancelled, "deadline passed during backoff", path, requestId, failure);
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
    private async Task<(bool? Found, RetryDecision Decision, Exception? Failure)> LookupScoreAsync(PlatformRequest score, CancellationToken ct)
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
                        && metadata.TryGetProperty(PlatformRequests.DeliveryKey, out var key) && key.ValueKind == JsonValueKind.String
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

}

/// <summary>How one logical request ended: delivered, or not with a reason (<see cref="DropReason"/>) and its detail.</summary>
internal sealed record SendOutcome(bool Delivered, DropReason Reason, string Detail, string Path, string RequestId, Exception? Exception)
{
    /// <summary>The last failure said the platform is unreachable or failing (network, 5xx), not busy (429) or lagging.</summary>
    public bool Unreachable { get; init; }

    public static SendOutcome Ok(string path, string requestId) => new(true, default, string.Empty, path, requestId, null);

    public static SendOutcome Dropped(DropReason reason, string detail, string path, string requestId, Exception? exception) =>
        new(false, reason, detail, path, requestId, exception);
}
