using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace PandaProbe.RealPlatform.Support;

/// <summary>One request the SDK sent and what the platform answered, as the client saw it.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request's path (<c>/traces</c>, <c>/traces/{id}/spans</c>, <c>/evaluations/trace-scores</c>…).</param>
/// <param name="Spans">How many spans the body carried (a trace's <c>spans</c>, or the add-spans array); 0 otherwise.</param>
/// <param name="At">When the answer (or the failure) came, on the log's clock.</param>
/// <param name="Status">The HTTP status, or 0 when no answer came.</param>
/// <param name="Body">The answer's body for anything but a 2xx, or the failure.</param>
public sealed record SentRequest(string Method, string Path, int Spans, TimeSpan At, int Status, string? Body)
{
    /// <summary><c>true</c> for a 2xx answer.</summary>
    public bool Accepted => Status is >= 200 and < 300;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Method} {Path} ({Spans} spans) -> {(Status == 0 ? "no answer" : Status.ToString(System.Globalization.CultureInfo.InvariantCulture))}"
        + (Body is null ? "" : $" {(Body.Length > 200 ? Body[..200] + "…" : Body)}");
}

/// <summary>
/// Records every request one client sends to the platform and the answer, below the SDK (its
/// <c>HttpMessageHandlerFactory</c>): which route, how many spans, which status. It shows what the database cannot:
/// that a trace's spans went in more than one request, that an add-spans request met a 404 and was retried.
/// </summary>
public sealed class RequestLog
{
    readonly ConcurrentQueue<SentRequest> sent = new();
    readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>Everything recorded so far, in order of the answers.</summary>
    public IReadOnlyList<SentRequest> Requests => sent.ToArray();

    /// <summary>A handler like the SDK's own, recording into this log.</summary>
    public HttpMessageHandler Handler() => new Recorder(this, new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    /// <summary>Waits (bounded) until a recorded request matches; <c>false</c> when none did in time.</summary>
    public async Task<bool> WaitForAsync(Func<SentRequest, bool> match, TimeSpan bound)
    {
        var until = clock.Elapsed + bound;
        while (clock.Elapsed < until)
        {
            if (sent.Any(match)) return true;
            await Task.Delay(50);
        }
        return sent.Any(match);
    }

    sealed class Recorder(RequestLog log, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri?.AbsolutePath.TrimEnd('/') ?? "?";
            var spans = 0;
            if (request.Content is not null && request.Method == HttpMethod.Post)
            {
                // The SDK sends a ByteArrayContent: reading it does not consume it.
                var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                try
                {
                    using var doc = JsonDocument.Parse(body);
                    var root = doc.RootElement;
                    if (root.ValueKind == JsonValueKind.Array) spans = root.GetArrayLength();
                    else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("spans", out var s) && s.ValueKind == JsonValueKind.Array)
                        spans = s.GetArrayLength();
                }
                catch (JsonException) { spans = -1; }
            }
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                string? text = null;
                if (!response.IsSuccessStatusCode)
                {
                    await response.Content.LoadIntoBufferAsync(cancellationToken);
                    text = await response.Content.ReadAsStringAsync(cancellationToken);
                }
                log.sent.Enqueue(new SentRequest(request.Method.Method, path, spans, log.clock.Elapsed, (int)response.StatusCode, text));
                return response;
            }
            catch (Exception ex)
            {
                log.sent.Enqueue(new SentRequest(request.Method.Method, path, spans, log.clock.Elapsed, 0, ex.GetType().Name + ": " + ex.Message));
                throw;
            }
        }
    }
}
