using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary>A trace started while handling a request carries the request's trace id (<see cref="Activity.Current"/>).</summary>
[Collection(ProcessWide.Name)]
public class RequestCorrelationTests
{
    static void Hermetic(PandaProbeOptions options, ITraceExporter exporter)
    {
        options.EnvironmentVariables = Clients.NoEnvironment;
        options.RegisterProcessExitHandler = false;
        options.Exporters.Add(exporter);
    }

    static JsonElement Metadata(PandaProbe.Model.TraceRecord trace) => JsonDocument.Parse(trace.ToJson()).RootElement.GetProperty("metadata").Clone();

    [Fact]
    public async Task A_trace_started_in_an_ASP_NET_Core_request_has_the_request_trace_id_in_its_metadata()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(new RecordingLoggerProvider());
        builder.Services.AddPandaProbe(o => Hermetic(o, exporter));
        await using var app = builder.Build();
        app.MapGet("/ask", async (HttpContext http) =>
        {
            await using var trace = Probe.StartTrace("ask", input: http.Request.Query["q"].ToString());
            trace.Span("answer", SpanType.Llm, span => span.SetOutput("Oslo"));
            return http.TraceIdentifier;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ask?q=capital");
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        await app.StopAsync();

        var metadata = Metadata(Assert.Single(exporter.Traces));
        Assert.Equal(traceId, metadata.GetProperty("activity_trace_id").GetString());
        Assert.Matches("^[0-9a-f]{16}$", metadata.GetProperty("activity_span_id").GetString());
        Assert.NotEqual("00f067aa0ba902b7", metadata.GetProperty("activity_span_id").GetString());   // the server's own span
    }

    [Fact]
    public async Task In_a_plain_host_the_current_activity_is_captured_explicit_metadata_wins_and_it_can_be_turned_off()
    {
        var exporter = new InMemoryTraceExporter();
        using var host = new HostBuilder().ConfigureServices(s => s.AddPandaProbe(o => Hermetic(o, exporter))).Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();

        var previous = Activity.Current;
        using (var activity = new Activity("job").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            using (client.StartTrace("in-activity")) { }
            using (client.StartTrace("explicit", metadata: new Dictionary<string, object?> { ["activity_trace_id"] = "mine" })) { }
            Activity.Current = null;
            using (client.StartTrace("no-activity")) { }
            Activity.Current = activity;
            await client.FlushAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(activity.TraceId.ToHexString(), Metadata(exporter.Traces.Single(t => t.Name == "in-activity")).GetProperty("activity_trace_id").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), Metadata(exporter.Traces.Single(t => t.Name == "in-activity")).GetProperty("activity_span_id").GetString());
            var explicitOne = Metadata(exporter.Traces.Single(t => t.Name == "explicit"));
            Assert.Equal("mine", explicitOne.GetProperty("activity_trace_id").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), explicitOne.GetProperty("activity_span_id").GetString());
            var plain = JsonDocument.Parse(exporter.Traces.Single(t => t.Name == "no-activity").ToJson()).RootElement;
            Assert.False(plain.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("activity_trace_id", out _));
        }
        Activity.Current = previous;
        await host.StopAsync();

        var off = new InMemoryTraceExporter();
        using var quiet = new HostBuilder().ConfigureServices(s => s.AddPandaProbe(o =>
        {
            Hermetic(o, off);
            o.CaptureActivityContext = false;
        })).Build();
        await quiet.StartAsync();
        using (new Activity("job").SetIdFormat(ActivityIdFormat.W3C).Start())
        using (quiet.Services.GetRequiredService<PandaProbeClient>().StartTrace("off")) { }
        await quiet.StopAsync();
        Activity.Current = previous;
        Assert.DoesNotContain("activity_trace_id", Assert.Single(off.Traces).ToJson());
    }
}
