using PandaProbe.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary><c>AddPandaProbe</c> with a real generic host: one singleton client, validated at start, drained at stop.</summary>
[Collection(ProcessWide.Name)]
public class HostingTests
{
    static void Hermetic(PandaProbeOptions options, ITraceExporter exporter)
    {
        options.EnvironmentVariables = Clients.NoEnvironment;
        options.RegisterProcessExitHandler = false;
        options.Exporters.Add(exporter);
    }

    /// <summary>An exporter whose exports wait until released, to hold a shutdown open.</summary>
    sealed class GatedExporter : ITraceExporter
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Name => "gated";

        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.ConfigureAwait(false);
            return new ExportResult(batch.Traces.Count, 0, null);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => default;
        public ValueTask ShutdownAsync(CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task The_host_owns_one_client_and_stopping_it_exports_and_shuts_down()
    {
        var exporter = new InMemoryTraceExporter();
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddPandaProbe(o => Hermetic(o, exporter)))
            .Build();

        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();
        Assert.Same(client, host.Services.GetRequiredService<PandaProbeClient>());
        Assert.True(client.IsEnabled);
        using (var trace = client.StartTrace("request"))
            trace.Span("work", SpanType.Tool, span => span.SetOutput("done"));
        await host.StopAsync();

        var exported = Assert.Single(exporter.Traces);
        Assert.Equal("request", exported.Name);
        Assert.True(exporter.IsShutdown);
        var hosted = Assert.Single(host.Services.GetServices<IHostedService>().OfType<PandaProbeHostedService>());
        Assert.NotNull(hosted.LastShutdownResult);
        Assert.True(hosted.LastShutdownResult!.Completed);
    }

    [Fact]
    public async Task An_invalid_setting_fails_host_start_with_an_OptionsValidationException_naming_it()
    {
        using var host = new HostBuilder()
            .ConfigureServices(services => services.AddPandaProbe(o =>
            {
                Hermetic(o, new InMemoryTraceExporter());
                o.ShutdownTimeout = TimeSpan.Zero;
            }))
            .Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ShutdownTimeout: ", error.Message);
    }

    [Fact]
    public void An_invalid_setting_surfaces_when_the_client_is_first_resolved()
    {
        var services = new ServiceCollection().AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.BatchSize = 0;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PandaProbeClient>());
        Assert.Contains("BatchSize (PANDAPROBE_BATCH_SIZE): 0 is below the minimum 1", error.Message);
    }

    [Fact]
    public async Task Calling_AddPandaProbe_twice_keeps_one_client_one_hosted_service_and_both_configurations()
    {
        var exporter = new InMemoryTraceExporter();
        var services = new ServiceCollection()
            .AddPandaProbe(o => Hermetic(o, exporter))
            .AddPandaProbe(o => o.Environment = "staging");

        Assert.Single(services, d => d.ServiceType == typeof(PandaProbeClient));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<PandaProbeClient>();
        Assert.Equal("staging", client.Environment);
        Assert.True(client.IsEnabled);
    }

    [Fact]
    public async Task Stop_gives_up_without_throwing_when_the_host_deadline_fires_first()
    {
        var exporter = new GatedExporter();
        var services = new ServiceCollection().AddPandaProbe(o =>
        {
            Hermetic(o, exporter);
            o.BatchSize = 1;
            o.ShutdownTimeout = TimeSpan.FromMinutes(5);
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().OfType<PandaProbeHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        var client = provider.GetRequiredService<PandaProbeClient>();
        using (client.StartTrace("held")) { }
        _ = client.FlushAsync(TimeSpan.FromSeconds(30));
        await exporter.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using var deadline = new CancellationTokenSource();
        var stop = hosted.StopAsync(deadline.Token);
        Assert.False(stop.IsCompleted);
        deadline.Cancel();
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(hosted.LastShutdownResult);
        exporter.Release.TrySetResult();
    }

    [Fact]
    public async Task Stop_before_start_does_nothing()
    {
        var exporter = new InMemoryTraceExporter();
        await using var provider = new ServiceCollection().AddPandaProbe(o => Hermetic(o, exporter)).BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().OfType<PandaProbeHostedService>().Single();

        await hosted.StopAsync(CancellationToken.None);

        Assert.Null(hosted.LastShutdownResult);
        Assert.False(exporter.IsShutdown);
    }

    [Fact]
    public void AddPandaProbe_rejects_a_null_collection()
    {
        Assert.Throws<ArgumentNullException>(() => PandaProbeHostingExtensions.AddPandaProbe((Microsoft.Extensions.DependencyInjection.IServiceCollection)null!));
    }
}
