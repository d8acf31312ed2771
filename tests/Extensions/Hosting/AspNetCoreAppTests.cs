using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary>
/// The hosting path as an ASP.NET Core app uses it: a real Kestrel on 127.0.0.1, options bound from the app's
/// configuration, <see cref="Probe"/> being the DI client inside requests, the default local file written by the flush
/// at stop, and a bad setting stopping the app at start with the key and the variable named.
/// </summary>
[Collection(ProcessWide.Name)]
public sealed class AspNetCoreAppTests : IDisposable
{
    readonly string directory = Directory.CreateTempSubdirectory("pandaprobe-aspnet-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static WebApplicationBuilder Builder(params (string Key, string? Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)));
        builder.Services.AddPandaProbe("PandaProbe", o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
        });
        return builder;
    }

    [Fact]
    public async Task Requests_trace_through_Probe_into_the_DI_client_and_stopping_the_app_flushes_the_local_file()
    {
        var file = Path.Combine(directory, "traces.jsonl");
        var builder = Builder(("PandaProbe:LocalFilePath", file), ("PandaProbe:Environment", "staging"),
            ("PandaProbe:FlushInterval", "3600"));
        await using var app = builder.Build();
        var sameClient = new List<bool>();
        app.MapGet("/answer", async (HttpContext http, PandaProbeClient injected) =>
        {
            sameClient.Add(ReferenceEquals(injected, Probe.Client));
            return await Probe.TraceAsync("answer", async trace =>
            {
                trace.SetInput(http.Request.Query["q"].ToString());
                await trace.SpanAsync("lookup", SpanType.Retriever, async span =>
                {
                    await Task.Yield();
                    span.SetOutput("Oslo");
                });
                trace.SetOutput("Oslo");
                return "Oslo";
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        using (var http = new HttpClient { BaseAddress = new Uri(address) })
        {
            Assert.Equal("Oslo", await http.GetStringAsync("/answer?q=capital"));
            Assert.Equal("Oslo", await http.GetStringAsync("/answer?q=again"));
        }
        Assert.False(File.Exists(file) && File.ReadAllText(file).Contains("\"answer\""),
            "an hour-long flush interval should hold the traces until stop");
        await app.StopAsync();

        Assert.Equal([true, true], sameClient);
        var traces = File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, traces.Count);
        Assert.All(traces, t =>
        {
            Assert.Equal("answer", t.Str("name"));
            Assert.Equal("staging", t.Str("environment"));
            Assert.Equal("RETRIEVER", Clients.SingleSpan(t).Str("kind"));
        });
        Assert.Equal(["again", "capital"], traces.Select(t => t.GetProperty("input").GetString()!).Order());
    }

    [Fact]
    public async Task A_bad_setting_stops_the_app_at_start_naming_the_key_and_the_environment_variable()
    {
        var builder = Builder(("PandaProbe:MaxQueueSize", "-5"), ("PandaProbe:LocalFilePath", Path.Combine(directory, "never.jsonl")));
        await using var app = builder.Build();
        app.MapGet("/", () => "up");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("PandaProbe:MaxQueueSize (PANDAPROBE_MAX_QUEUE_SIZE)", error.Message);
        Assert.False(app.Lifetime.ApplicationStarted.IsCancellationRequested);   // the app never started serving
        Assert.False(File.Exists(Path.Combine(directory, "never.jsonl")));
    }
}
