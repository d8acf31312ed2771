using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PandaProbe.Exporters;
using PandaProbe.Model;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// Flush before respond in a real Kestrel app on 127.0.0.1: a middleware or an endpoint filter opens
/// <see cref="PandaProbeClient.WaitForDelivery"/>, so when the client has the response, the request's traces have
/// been delivered, though the export interval is minutes away.
/// </summary>
public sealed class FlushBeforeRespondTests
{
    static PandaProbeClient NewClient(InMemoryTraceExporter exporter) => new(new PandaProbeOptions
    {
        RegisterProcessExitHandler = false,
        EnvironmentVariables = new Dictionary<string, string?>(),
        Exporters = { exporter },
        FlushInterval = TimeSpan.FromMinutes(10),
    });

    static async Task<WebApplication> ServeAsync(Action<WebApplication> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task A_middleware_waits_for_the_requests_traces_before_the_response_completes()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        await using var app = await ServeAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                await using (client.WaitForDelivery(TimeSpan.FromSeconds(10))) await next(context);
            });
            app.MapGet("/answer", () =>
            {
                using (var trace = client.StartTrace("answer-request"))
                using (var span = trace.Span("generate", SpanType.Llm)) span.SetOutput("42");
                return "42";
            });
        });
        using var http = new HttpClient();

        Assert.Equal("42", await http.GetStringAsync(app.Urls.First() + "/answer"));

        var trace = Assert.Single(exporter.Traces);   // already delivered when the response arrived
        Assert.Equal("answer-request", trace.Name);
        Assert.Equal("generate", Assert.Single(trace.Spans).Name);
    }

    [Fact]
    public async Task An_endpoint_filter_does_the_same_for_one_endpoint_only()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = NewClient(exporter);
        await using var app = await ServeAsync(app =>
        {
            app.MapGet("/flushed", () => { using (client.StartTrace("flushed")) { } return "ok"; })
                .AddEndpointFilter(async (context, next) =>
                {
                    await using (client.WaitForDelivery()) return await next(context);
                });
            app.MapGet("/plain", () => { using (client.StartTrace("plain")) { } return "ok"; });
        });
        using var http = new HttpClient();

        await http.GetStringAsync(app.Urls.First() + "/plain");
        await http.GetStringAsync(app.Urls.First() + "/flushed");

        // The filtered endpoint's flush sends what was queued, the plain trace too; only the filtered one was waited for.
        Assert.Contains(exporter.Traces, t => t.Name == "flushed");
        Assert.Equal(0, client.Health.Pending);
    }
}
