using PandaProbe.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// Ties the registered <see cref="PandaProbeClient"/> to the host's lifetime: <see cref="StartAsync"/> builds it (so
/// an invalid setting stops the host at start), makes it the <see cref="Probe"/> default and sends the SDK's
/// diagnostics to the <c>PandaProbe</c> logger (as <see cref="PandaProbeHostingOptions"/> say);
/// <see cref="StopAsync"/> puts the previous default and diagnostics writer back, exports what was recorded and shuts
/// the client down, giving up when the host's shutdown token fires. Registered by
/// <see cref="PandaProbeHostingExtensions.AddPandaProbe(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{PandaProbeOptions})"/>.
/// </summary>
internal sealed class PandaProbeHostedService : IHostedService
{
    readonly IServiceProvider services;
    PandaProbeClient? client;
    IDisposable? defaultScope;
    DiagnosticsLog? diagnostics;

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

    /// <summary>
    /// Sends the SDK's diagnostics to the <c>PandaProbe</c> logger, builds the client and makes it the
    /// <see cref="Probe"/> default (each as <see cref="PandaProbeHostingOptions"/> say).
    /// </summary>
    /// <param name="cancellationToken">Unused: building does no I/O.</param>
    /// <exception cref="ArgumentException">A configuration key is not a setting or does not parse; the message names it.</exception>
    /// <exception cref="OptionsValidationException">A PandaProbe setting is invalid; the message names it.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var hosting = services.GetService<IOptions<PandaProbeHostingOptions>>()?.Value ?? new PandaProbeHostingOptions();
        if (hosting.LogDiagnostics && services.GetService<ILoggerFactory>() is { } loggers)
        {
            diagnostics = new DiagnosticsLog(loggers.CreateLogger("PandaProbe"), hosting.MaxRepeatsPerMinute, TimeProvider.System);
            diagnostics.Attach();
        }
        try
        {
            client = services.GetRequiredService<PandaProbeClient>();
        }
        catch
        {
            diagnostics?.Detach();
            diagnostics = null;
            throw;
        }
        if (hosting.SetAsDefault) defaultScope = Probe.SetDefault(client);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Puts the previous <see cref="Probe"/> default back, then flushes and shuts the client down (bounded by its own
    /// shutdown timeout), returning early without throwing when <paramref name="cancellationToken"/> (the host's
    /// shutdown deadline) fires first; last, puts the previous diagnostics writer back.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown token.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var current = client;
        if (current is null) return;
        Interlocked.Exchange(ref defaultScope, null)?.Dispose();
        try
        {
            LastShutdownResult = await current.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            SelfLog.Write("host shutdown deadline reached before PandaProbe finished exporting");
        }
        finally
        {
            Interlocked.Exchange(ref diagnostics, null)?.Detach();
        }
    }
}
