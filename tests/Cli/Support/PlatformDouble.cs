using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PandaProbe.Cli.Tests.Support;

/// <summary>
/// A stand-in for the platform on 127.0.0.1 (a free port): accepts <c>POST /traces</c>,
/// <c>POST /traces/{id}/spans</c> and <c>POST /evaluations/trace-scores</c>, records every request, and can answer 500
/// for chosen trace ids or drop the connection of every request after the first N.
/// </summary>
internal sealed class PlatformDouble : IAsyncDisposable
{
    readonly WebApplication app;
    int handled;

    public sealed record Request(string Method, string Path, string? TraceId, int Status);

    PlatformDouble(WebApplication app) => this.app = app;

    public Uri Endpoint { get; private set; } = null!;
    public ConcurrentQueue<Request> Requests { get; } = new();
    /// <summary>Trace ids answered with 500.</summary>
    public ConcurrentDictionary<string, bool> FailTraces { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Requests after this many are dropped (connection aborted); null for never.</summary>
    public int? DropAfter { get; set; }
    /// <summary>How long each request waits before it is answered (a request cancelled meanwhile is not accepted).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>The trace ids the double accepted (2xx on <c>POST /traces</c>), one entry per acceptance.</summary>
    public IReadOnlyList<string> AcceptedTraces => Requests.Where(r => r.Path == "/traces" && r.Status is >= 200 and < 300).Select(r => r.TraceId!).ToList();

    public static async Task<PlatformDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var platform = new PlatformDouble(app);
        app.MapPost("/traces", ctx => platform.Handle(ctx, fromBody: true));
        app.MapPost("/traces/{id}/spans", ctx => platform.Handle(ctx, fromBody: false));
        app.MapPost("/evaluations/trace-scores", ctx => platform.Handle(ctx, fromBody: true));
        app.MapGet("/evaluations/trace-scores/{id}", async ctx => { ctx.Response.ContentType = "application/json"; await ctx.Response.WriteAsync("[]"); });
        await app.StartAsync();
        var address = app.Urls.First();
        platform.Endpoint = new Uri(address);
        return platform;
    }

    async Task Handle(HttpContext ctx, bool fromBody)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted);
        string? traceId = fromBody ? TraceIdOf(body) : ctx.Request.RouteValues["id"] as string;
        var n = Interlocked.Increment(ref handled);
        if (DropAfter is { } limit && n > limit)
        {
            Requests.Enqueue(new Request("POST", ctx.Request.Path, traceId, 0));
            ctx.Abort();
            return;
        }
        if (Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(Delay, ctx.RequestAborted); }
            catch (OperationCanceledException)
            {
                Requests.Enqueue(new Request("POST", ctx.Request.Path, traceId, 0));
                return;
            }
        }
        var status = traceId is not null && FailTraces.ContainsKey(traceId) ? 500
            : ctx.Request.Path == "/traces" ? 202 : 201;
        Requests.Enqueue(new Request("POST", ctx.Request.Path, traceId, status));
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(status == 500
            ? """{"detail":"internal error (test double)"}"""
            : JsonSerializer.Serialize(new { trace_id = traceId, task_id = "task" }));
    }

    static string? TraceIdOf(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("trace_id", out var id) ? id.GetString() : null;
        }
        catch (JsonException) { return null; }
    }

    public async ValueTask DisposeAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(bound.Token);
        await app.DisposeAsync();
    }
}
