using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PandaProbe.Extensions.Hosting;

/// <summary>Adds the PandaProbe health check to <c>services.AddHealthChecks()</c>.</summary>
public static class PandaProbeHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="PandaProbeHealthCheck"/> of the registered <see cref="PandaProbeClient"/> (register it with
    /// <c>services.AddPandaProbe(…)</c>): healthy while nothing was dropped and no delivery failed since the previous
    /// check, else <paramref name="failureStatus"/>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status on drops or delivery failures; <c>null</c> for <see cref="HealthStatus.Degraded"/>.</param>
    /// <param name="tags">Tags to filter the check by, if any.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is <c>null</c>.</exception>
    public static IHealthChecksBuilder AddPandaProbe(
        this IHealthChecksBuilder builder, string name = "pandaprobe", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        builder.Services.TryAddSingleton(provider => new PandaProbeHealthCheck(provider.GetRequiredService<PandaProbeClient>()));
        return builder.Add(new HealthCheckRegistration(
            name, provider => provider.GetRequiredService<PandaProbeHealthCheck>(), failureStatus ?? HealthStatus.Degraded, tags));
    }
}
