using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace PandaProbe.RealPlatform.Support;

/// <summary>One <c>POST /traces</c> as the client saw it: which trace, when (since the log started), and the answer.</summary>
/// <param name="TraceId">The body's <c>trace_id</c>.</param>
/// <param name="At">When the answer (or the failure) came.</param>
/// <param name="Status">The HTTP status, or 0 when no answer came.</param>
/// <param name="Body">The answer's body for anything but a 2xx (the 429's announces the rate), or the failure.</param>
public sealed record WirePost(string TraceId, TimeSpan At, int Status, string? Body);

/// <summary>
/// Records every <c>POST /traces</c> the SDK sends and what the platform answered, below the SDK (its
/// <c>HttpMessageHandlerFactory</c>): the platform upserts traces by id, so the database cannot show a trace accepted
/// twice, but this log (and the worker's) can.
/// </summary>
/// <param name="clock">The test's clock: <see cref="WirePost.At"/> is read from it.</param>
public sealed class WireLog(Stopwatch clock)
{
    readonly ConcurrentQueue<WirePost> posts = new();
    readonly Stopwatch clock = clock;

    /// <summary>Everything recorded so far, in order of the answers.</summary>
    public IReadOnlyList<WirePost> Posts => posts.ToArray();

    /// <summary>A handler like the SDK's own, recording into this log.</summary>
    public HttpMessageHandler Handler() => new Recorder(this, new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    sealed class Recorder(WireLog log, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Post || request.RequestUri?.AbsolutePath.TrimEnd('/') is not { } path || !path.EndsWith("/traces", StringComparison.Ordinal))
                return await base.SendAsync(request, cancellationToken);

            var id = "?";
            if (request.Content is not null)
            {
                // The SDK sends a ByteArrayContent: reading it does not consume it.
                var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                try
                {
                    using var doc = JsonDocument.Parse(body);
                    if (doc.RootElement.TryGetProperty("trace_id", out var t)) id = t.GetString() ?? "?";
                }
                catch (JsonException) { }
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
                log.posts.Enqueue(new WirePost(id, log.clock.Elapsed, (int)response.StatusCode, text));
                return response;
            }
            catch (Exception ex)
            {
                log.posts.Enqueue(new WirePost(id, log.clock.Elapsed, 0, ex.GetType().Name + ": " + ex.Message));
                throw;
            }
        }
    }
}
