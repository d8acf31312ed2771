using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PandaProbe.Extensions.Hosting;

/// <summary>Registers PandaProbe with <see cref="IServiceCollection"/>.</summary>
public static class PandaProbeServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PandaProbeClient"/> built from <see cref="PandaProbeOptions"/> (configured by
    /// <paramref name="configure"/> and any other <c>Configure&lt;PandaProbeOptions&gt;</c> calls; environment variables
    /// fill what is left unset), and a hosted service that builds the client when the host starts and flushes and
    /// shuts it down when the host stops. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <c>null</c> keeps the defaults and the environment.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// An invalid setting surfaces as an <see cref="ArgumentException"/> naming it, when the client is first resolved
    /// or at host start, whichever comes first. The registered client is not the static <see cref="Probe"/> default:
    /// pass it explicitly (for example to <c>WithPandaProbe(client)</c>).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <c>null</c>.</exception>
    public static IServiceCollection AddPandaProbe(this IServiceCollection services, Action<PandaProbeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PandaProbeOptions>();
        if (configure is not null) services.Configure(configure);
        services.TryAddSingleton(provider => new PandaProbeClient(provider.GetRequiredService<IOptions<PandaProbeOptions>>().Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PandaProbeHostedService>());
        return services;
    }
}
