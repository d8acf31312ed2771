using PandaProbe.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// Ties the registered <see cref="PandaProbeClient"/> to the host's lifetime: <see cref="StartAsync"/> builds it (so
/// an invalid setting stops the host at start), <see cref="StopAsync"/> exports what was recorded and shuts the client
/// down, giving up when the host's shutdown token fires. Registered by
/// <see cref="PandaProbeServiceCollectionExtensions.AddPandaProbe(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{PandaProbeOptions})"/>.
/// </summary>
public sealed class PandaProbeHostedService : IHostedService
{
    readonly IServiceProvider services;
    PandaProbeClient? client;

    /// <summary>Creates the service; the client is resolved from <paramref name="services"/> at start.</summary>
    /// <param name="services">The application's service provider.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <c>null</c>.</exception>
    public PandaProbeHostedService(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        this.services = services;
    }

    /// <summary>The last flush result of <see cref="StopAsync"/>, once it has run to completion.</summary>
    public FlushResult? LastShutdownResult { get; private set; }

    /// <summary>Builds the client.</summary>
    /// <param name="cancellationToken">Unused: building does no I/O.</param>
    /// <exception cref="ArgumentException">A PandaProbe setting is invalid; the message names it.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        client = services.GetRequiredService<PandaProbeClient>();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Flushes and shuts the client down (bounded by its own shutdown timeout), returning early without throwing
    /// when <paramref name="cancellationToken"/> (the host's shutdown deadline) fires first.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown token.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var current = client;
        if (current is null) return;
        try
        {
            LastShutdownResult = await current.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            SelfLog.Write("host shutdown deadline reached before PandaProbe finished exporting");
        }
    }
}
