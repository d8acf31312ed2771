using PandaProbe.Unit.Serialization;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PandaProbe.Integration.Support;

/// <summary>One request as the fake platform received it.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path (including any prefix).</param>
/// <param name="Route">The path with the prefix removed: <c>/traces</c>, <c>/traces/{id}/spans</c>, …</param>
/// <param name="Headers">The request headers (first value of each).</param>
/// <param name="Body">The body text.</param>
/// <param name="Attempt">How many earlier requests carried the same <c>X-Request-ID</c> (0 for the first).</param>
/// <param name="RouteCount">How many earlier requests went to the same route (0 for the first).</param>
/// <param name="Problems">What the schema and the hand-written rules found wrong with the body.</param>
public sealed record Received(
    string Method, string Path, string Route, IReadOnlyDictionary<string, string> Headers, string Body, int Attempt, int RouteCount,
    IReadOnlyList<string> Problems)
{
    /// <summary>The <c>X-Request-ID</c> header.</summary>
    public string RequestId => Headers.TryGetValue("X-Request-ID", out var v) ? v : "";

    /// <summary>The body parsed.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>True for <c>POST /traces</c>.</summary>
    public bool IsTrace => Route == "/traces";

    /// <summary>True for <c>POST /traces/{id}/spans</c>.</summary>
    public bool IsAddSpans => Route.StartsWith("/traces/", StringComparison.Ordinal) && Route.EndsWith("/spans", StringComparison.Ordinal);

    /// <summary>True for <c>POST /evaluations/trace-scores</c>.</summary>
    public bool IsScore => Route == "/evaluations/trace-scores";
}

/// <summary>How the fake platform answers one request.</summary>
public abstract record Reply
{
    /// <summary>The platform's normal success answer for the route.</summary>
    public static Reply Accept { get; } = new AcceptReply();

    /// <summary>An answer with a status, an optional body and headers.</summary>
    public static Reply Status(int code, string? body = null, params (string Name, string Value)[] headers) => new StatusReply(code, body, headers);

    /// <summary>Resets the connection after reading the request.</summary>
    public static Reply Abort { get; } = new AbortReply();

    /// <summary>Answers only after <paramref name="delay"/> (or never, when the client gives up first).</summary>
    public static Reply Slow(TimeSpan delay, Reply then) => new SlowReply(delay, then);

    /// <summary>
    /// Stores the request as accepted at once, then answers only after <paramref name="delay"/> (the platform stored it,
    /// but a client that gives up first never hears so).
    /// </summary>
    public static Reply StoreThenAnswerLate(TimeSpan delay) => new StoreThenLateReply(delay);

    /// <summary>Waits for <paramref name="signal"/> (bounded by <paramref name="bound"/>) before answering with <paramref name="then"/>.</summary>
    public static Reply WaitFor(Task signal, TimeSpan bound, Reply then) => new WaitReply(signal, bound, then);

    internal sealed record AcceptReply : Reply;
    internal sealed record StatusReply(int Code, string? Body, (string Name, string Value)[] Headers) : Reply;
    internal sealed record AbortReply : Reply;
    internal sealed record SlowReply(TimeSpan Delay, Reply Then) : Reply;
    internal sealed record WaitReply(Task Signal, TimeSpan Bound, Reply Then) : Reply;
    internal sealed record StoreThenLateReply(TimeSpan Delay) : Reply;
}

/// <summary>
/// A stand-in for the PandaProbe platform: Kestrel on 127.0.0.1 (port 0), validating every body against the
/// <c>openapi.json</c> schemas (when the shared folder is present) and the hand-written <see cref="WireRules"/>,
/// answering 422 like the platform when a body is invalid, and otherwise as <see cref="Script"/> says.
/// </summary>
public sealed class FakePlatform : IAsyncDisposable
{
    private static readonly Lazy<OpenApiChecker?> Schemas = new(() =>
        SharedFolder.File("pandaprobe-api", "openapi.json") is { } file && File.Exists(file) ? OpenApiChecker.Load(file) : null);
    private static readonly Regex AddSpansRoute = new("^/traces/([0-9a-fA-F-]{36})/spans$", RegexOptions.Compiled);
    private static readonly Regex ScoresOfTraceRoute = new("^/evaluations/trace-scores/([0-9a-fA-F-]{36})$", RegexOptions.Compiled);

    private readonly WebApplication app;
    private readonly string prefix;
    private readonly ConcurrentQueue<Received> received = new();
    private readonly ConcurrentQueue<Received> accepted = new();
    private readonly ConcurrentDictionary<string, int> attempts = new();
    private readonly ConcurrentDictionary<string, int> routes = new();

    private FakePlatform(WebApplication app, string prefix, Uri baseUrl)
    {
        this.app = app;
        this.prefix = prefix;
        BaseUrl = baseUrl;
    }

    /// <summary>The address to configure as the endpoint (with the prefix, if any).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Decides the answer to each request (default: accept everything).</summary>
    public Func<Received, Reply> Script { get; set; } = _ => Reply.Accept;

    /// <summary>True when the openapi.json schemas are being checked.</summary>
    public static bool ValidatesSchemas => Schemas.Value is not null;

    /// <summary>Every request received, in arrival order.</summary>
    public IReadOnlyList<Received> Requests => received.ToArray();

    /// <summary>The requests answered with success, in order.</summary>
    public IReadOnlyList<Received> Accepted => accepted.ToArray();

    /// <summary>Starts a platform on a free loopback port.</summary>
    /// <param name="prefix">A path prefix the platform is mounted under (e.g. <c>/api</c>).</param>
    /// <param name="port">The port to listen on (0: a free one).</param>
    public static async Task<FakePlatform> StartAsync(string prefix = "", int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        FakePlatform? platform = null;
        app.Run(ctx => platform!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        platform = new FakePlatform(app, prefix, new Uri(address.TrimEnd('/') + prefix));
        return platform;
    }

    /// <summary>
    /// A loopback URL on which nothing listens (connections are refused), until a test starts its platform there. The
    /// port is taken below Linux's ephemeral range (32768 and up), where a double started on port 0 by a test running
    /// in parallel never lands, and never handed out twice in one run.
    /// </summary>
    public static Uri RefusingEndpoint()
    {
        while (true)
        {
            int port;
            lock (HandedOut)
            {
                do port = 20_000 + Random.Shared.Next(12_000);
                while (!HandedOut.Add(port));
            }
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return new Uri($"http://127.0.0.1:{port}");
            }
            catch (SocketException) { /* taken by another program: try another */ }
        }
    }

    static readonly HashSet<int> HandedOut = [];

    /// <summary>Completes when a request matching <paramref name="match"/> has arrived (now or later); times out after 15 s.</summary>
    public Task<Received> Arrival(Func<Received, bool> match)
    {
        var tcs = new TaskCompletionSource<Received>(TaskCreationOptions.RunContinuationsAsynchronously);
        watchers.Add((tcs, match));
        var existing = received.FirstOrDefault(match);
        if (existing is not null) tcs.TrySetResult(existing);
        return tcs.Task.WaitAsync(TimeSpan.FromSeconds(15)); // bounded: a request that never comes fails the test

    }

    private readonly ConcurrentBag<(TaskCompletionSource<Received> Tcs, Func<Received, bool> Match)> watchers = new();

    /// <summary>Every problem found in any body received.</summary>
    public IReadOnlyList<string> Problems => received.SelectMany(r => r.Problems.Select(p => $"{r.Route}: {p}")).ToList();

    /// <summary>
    /// How many accepted requests carried each trace id (<c>POST /traces</c>): a trace delivered once has a count of 1.
    /// </summary>
    public IReadOnlyDictionary<string, int> TraceArrivals =>
        Accepted.Where(r => r.IsTrace).GroupBy(r => r.Json.GetProperty("trace_id").GetString()!)
            .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// <c>GET /evaluations/trace-scores/{trace_id}</c> as the platform answers it: the latest accepted score per name of
    /// the trace, with its metadata.
    /// </summary>
    private async Task<bool> TryAnswerScoreLookup(HttpContext ctx, string route)
    {
        if (ctx.Request.Method != "GET" || ScoresOfTraceRoute.Match(route) is not { Success: true } m) return false;
        var trace = m.Groups[1].Value;
        Interlocked.Increment(ref lookups);
        var latest = Accepted.Where(r => r.IsScore && r.Json.GetProperty("trace_id").GetString() == trace)
            .GroupBy(r => r.Json.GetProperty("name").GetString())
            .Select(g => g.Last().Json)
            .Select(j => new
            {
                id = Guid.NewGuid(),
                trace_id = trace,
                name = j.GetProperty("name").GetString(),
                value = j.GetProperty("value").GetString(),
                metadata = j.TryGetProperty("metadata", out var md) ? md : default(JsonElement?),
            })
            .ToList();
        await Write(ctx, 200, JsonSerializer.Serialize(latest));
        return true;
    }

    private int lookups;

    /// <summary>How many score lookups (<c>GET /evaluations/trace-scores/{trace_id}</c>) were answered.</summary>
    public int Lookups => Volatile.Read(ref lookups);

    private async Task HandleAsync(HttpContext ctx)
    {
        {
            var p = ctx.Request.Path.Value ?? "/";
            if (await TryAnswerScoreLookup(ctx, p.StartsWith(prefix, StringComparison.Ordinal) ? p[prefix.Length..] : p)) return;
        }
        string body;
        using (var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync(ctx.RequestAborted);
        var path = ctx.Request.Path.Value ?? "/";
        var route = path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : path;
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var requestId = headers.TryGetValue("X-Request-ID", out var rid) ? rid : Guid.NewGuid().ToString();
        var attempt = attempts.AddOrUpdate(requestId, 0, (_, n) => n + 1);
        var routeKey = AddSpansRoute.IsMatch(route) ? "/traces/{id}/spans" : route;
        var routeCount = routes.AddOrUpdate(routeKey, 0, (_, n) => n + 1);
        var problems = Validate(ctx.Request.Method, route, body);
        var request = new Received(ctx.Request.Method, path, route, headers, body, attempt, routeCount, problems);
        received.Enqueue(request);
        foreach (var (tcs, match) in watchers)
            if (match(request)) tcs.TrySetResult(request);

        if (problems.Count > 0)
        {
            await Write(ctx, 422, JsonSerializer.Serialize(new { detail = "Validation error", errors = problems }));
            return;
        }
        await Answer(ctx, request, Script(request));
    }

    private async Task Answer(HttpContext ctx, Received request, Reply reply)
    {
        switch (reply)
        {
            case Reply.AcceptReply:
                accepted.Enqueue(request);
                if (request.IsTrace)
                    await Write(ctx, 202, JsonSerializer.Serialize(new { trace_id = request.Json.GetProperty("trace_id").GetString(), task_id = "task" }));
                else if (request.IsAddSpans)
                    await Write(ctx, 201, JsonSerializer.Serialize(new { span_ids = request.Json.EnumerateArray().Select(s => s.GetProperty("span_id").GetString()).ToArray() }));
                else
                    await Write(ctx, 201, "{}");
                break;
            case Reply.StatusReply s:
                if (s.Code is >= 200 and < 300) accepted.Enqueue(request);
                foreach (var (name, value) in s.Headers) ctx.Response.Headers[name] = value;
                await Write(ctx, s.Code, s.Body ?? "");
                break;
            case Reply.AbortReply:
                ctx.Abort();
                break;
            case Reply.StoreThenLateReply late:
                accepted.Enqueue(request);
                try { await Task.Delay(late.Delay, ctx.RequestAborted); }
                catch (OperationCanceledException) { return; }
                await Write(ctx, request.IsTrace ? 202 : 201, request.IsTrace
                    ? JsonSerializer.Serialize(new { trace_id = request.Json.GetProperty("trace_id").GetString(), task_id = "task" })
                    : "{}");
                break;
            case Reply.SlowReply slow:
                try { await Task.Delay(slow.Delay, ctx.RequestAborted); }
                catch (OperationCanceledException) { return; }
                if (ctx.RequestAborted.IsCancellationRequested) return;
                await Answer(ctx, request, slow.Then);
                break;
            case Reply.WaitReply wait:
                await Task.WhenAny(wait.Signal, Task.Delay(wait.Bound, ctx.RequestAborted)).ContinueWith(_ => { });
                await Answer(ctx, request, wait.Signal.IsCompleted ? wait.Then : Reply.Status(599, "signal never came"));
                break;
        }
    }

    private static async Task Write(HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        try { await ctx.Response.WriteAsync(body, ctx.RequestAborted); }
        catch (OperationCanceledException) { }
    }

    private static List<string> Validate(string method, string route, string body)
    {
        var problems = new List<string>();
        if (method != "POST") { problems.Add($"unexpected method {method}"); return problems; }
        JsonElement json;
        try { json = JsonDocument.Parse(body).RootElement; }
        catch (JsonException ex) { problems.Add("body is not JSON: " + ex.Message); return problems; }
        var schemas = Schemas.Value;
        if (route == "/traces")
        {
            problems.AddRange(WireRules.Trace(json));
            if (schemas is not null) problems.AddRange(schemas.Check("TraceCreate", json).Select(p => "schema " + p));
        }
        else if (AddSpansRoute.IsMatch(route))
        {
            problems.AddRange(WireRules.SpanArray(json));
            if (schemas is not null && json.ValueKind == JsonValueKind.Array)
                foreach (var span in json.EnumerateArray()) problems.AddRange(schemas.Check("SpanCreate", span).Select(p => "schema " + p));
        }
        else if (route == "/evaluations/trace-scores")
        {
            problems.AddRange(WireRules.Score(json));
            if (schemas is not null) problems.AddRange(schemas.Check("CreateTraceScoreRequest", json).Select(p => "schema " + p));
        }
        else problems.Add($"unknown route {route}");
        return problems;
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
