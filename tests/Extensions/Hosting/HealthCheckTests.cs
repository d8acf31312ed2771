using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary><c>AddHealthChecks().AddPandaProbe()</c> in a real host, run by the real <see cref="HealthCheckService"/>.</summary>
[Collection(ProcessWide.Name)]
public class HealthCheckTests
{
    /// <summary>An exporter that delivers, or gives every item up while <see cref="Failing"/> is set.</summary>
    sealed class SwitchableExporter : ITraceExporter
    {
        public volatile bool Failing;
        public string Name => "switchable";

        public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Failing
                ? new ExportResult(0, batch.Traces.Count, "the collector refused the batch")
                : new ExportResult(batch.Traces.Count, 0, null));

        public ValueTask FlushAsync(CancellationToken cancellationToken) => default;
        public ValueTask ShutdownAsync(CancellationToken cancellationToken) => default;
    }

    static IHost Host(ITraceExporter exporter, Action<PandaProbeOptions>? configure = null, HealthStatus? failureStatus = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
            configure?.Invoke(o);
        });
        builder.Services.AddHealthChecks().AddPandaProbe(failureStatus: failureStatus, tags: ["tracing"]);
        return builder.Build();
    }

    static async Task<HealthReportEntry> Check(IHost host) =>
        (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["pandaprobe"];

    [Fact]
    public async Task Healthy_then_degraded_with_the_drops_by_reason_then_healthy_again_once_nothing_new_is_lost()
    {
        var exporter = new SwitchableExporter();
        using var host = Host(exporter);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();

        using (client.StartTrace("delivered")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var healthy = await Check(host);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(1L, healthy.Data["exported"]);
        Assert.Equal(0L, healthy.Data["dropped"]);
        Assert.Contains("tracing", healthy.Tags);

        exporter.Failing = true;
        using (client.StartTrace("refused-1")) { }
        using (client.StartTrace("refused-2")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var degraded = await Check(host);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(2L, degraded.Data["dropped.export_failed"]);
        Assert.Equal(2L, degraded.Data["failed"]);
        Assert.Equal(2L, degraded.Data["dropped_since_last_check"]);
        Assert.Equal(2L, degraded.Data["failed_since_last_check"]);
        Assert.Equal(0L, degraded.Data["spooled"]);
        Assert.Contains("dropped 2 item(s)", degraded.Description);
        Assert.Contains("export_failed 2", degraded.Description);

        var still = await Check(host);                                      // nothing new lost, but the exporter's last delivery failed
        Assert.Equal(HealthStatus.Degraded, still.Status);
        Assert.Equal(0L, still.Data["dropped_since_last_check"]);
        Assert.Equal("degraded", still.Data["exporter.switchable.state"]);
        Assert.Contains("switchable (degraded: its last delivery was partly lost", still.Description);

        exporter.Failing = false;                                            // it recovers: one delivery succeeds
        using (client.StartTrace("delivered-again")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        var again = await Check(host);
        Assert.Equal(HealthStatus.Healthy, again.Status);
        Assert.Equal(2L, again.Data["dropped.export_failed"]);               // the totals stay in the data
        Assert.Equal(0L, again.Data["dropped_since_last_check"]);
        Assert.Equal("healthy", again.Data["exporter.switchable.state"]);
        Assert.Equal(2L, again.Data["exporter.switchable.exported"]);
        Assert.Equal(2L, again.Data["exporter.switchable.failed"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_failure_status_can_be_Unhealthy()
    {
        var exporter = new SwitchableExporter { Failing = true };
        using var host = Host(exporter, failureStatus: HealthStatus.Unhealthy);
        await host.StartAsync();
        using (Probe.StartTrace("refused")) { }
        await Probe.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HealthStatus.Unhealthy, (await Check(host)).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_disabled_client_is_healthy()
    {
        using var host = Host(new InMemoryTraceExporter(), o => o.Enabled = false);
        await host.StartAsync();

        var entry = await Check(host);
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal("PandaProbe tracing is off.", entry.Description);
        await host.StopAsync();
    }
}
