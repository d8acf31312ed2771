using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PandaProbe.Extensions.Hosting;

/// <summary>Registers PandaProbe, and services whose calls it traces, with <see cref="IServiceCollection"/>.</summary>
public static partial class PandaProbeHostingExtensions
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
    /// The options are validated when the host starts (<c>ValidateOnStart</c>) or when the client is first resolved,
    /// whichever comes first: an invalid setting is an <see cref="OptionsValidationException"/> naming its key and,
    /// where the SDK reads one, its <c>PANDAPROBE_*</c> variable. While the host runs, the client is the static
    /// <see cref="Probe"/> default and the SDK's diagnostics go to the <c>PandaProbe</c> logger (see
    /// <see cref="PandaProbeHostingOptions"/>). <see cref="PandaProbeOptions.CaptureActivityContext"/> is on unless set,
    /// so a trace started while handling a request carries the request's trace id.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <c>null</c>.</exception>
    public static IServiceCollection AddPandaProbe(this IServiceCollection services, Action<PandaProbeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PandaProbeOptions>().ValidateOnStart();
        if (!services.Any(d => d.ServiceType == typeof(IPostConfigureOptions<PandaProbeOptions>) && d.ImplementationInstance is CaptureActivityByDefault))
            services.AddSingleton<IPostConfigureOptions<PandaProbeOptions>>(new CaptureActivityByDefault());
        services.AddOptions<PandaProbeHostingOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PandaProbeOptions>, OptionsValidator>());
        if (configure is not null) services.Configure(configure);
        services.TryAddSingleton(provider => new PandaProbeClient(provider.GetRequiredService<IOptions<PandaProbeOptions>>().Value));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PandaProbeHostedService>());
        return services;
    }

    /// <summary>
    /// Registers PandaProbe as <see cref="AddPandaProbe(IServiceCollection, Action{PandaProbeOptions}?)"/> does, with
    /// the options read from <paramref name="configuration"/> first (typically
    /// <c>builder.Configuration.GetSection("PandaProbe")</c>) and <paramref name="configure"/> applied after it, so
    /// code wins over configuration, which wins over the <c>PANDAPROBE_*</c> environment variables.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">
    /// The section holding the settings: the names of <see cref="PandaProbeOptions"/>' properties, with
    /// <c>Sampling</c> and <c>Redaction</c> as sub-sections (<c>Redaction:KeyNames</c> and <c>Redaction:Patterns</c> are
    /// arrays, added to the defaults). Time spans are a number of seconds or a .NET time span (<c>00:00:05</c>).
    /// Settings that are code (exporters, processors, a custom redaction function, the clock) are set in
    /// <paramref name="configure"/>.
    /// </param>
    /// <param name="configure">Sets the options after the configuration; <c>null</c> for none.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// A key that is not a setting, or a value that does not parse, is an <see cref="ArgumentException"/> naming its
    /// configuration path; a value that parses but is out of range is an <see cref="OptionsValidationException"/>
    /// naming its key (<c>PandaProbe:BatchSize</c>) and variable (<c>PANDAPROBE_BATCH_SIZE</c>). Both are raised when
    /// the host starts or the client is first resolved, whichever comes first. A key with an empty value counts as
    /// not set.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is <c>null</c>.</exception>
    public static IServiceCollection AddPandaProbe(
        this IServiceCollection services, IConfiguration configuration, Action<PandaProbeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PandaProbeOptions>().Configure(options => OptionsBinder.Bind(configuration, options));
        if (configuration is IConfigurationSection section) services.AddSingleton(new ConfigurationSectionPath(section.Path));
        return services.AddPandaProbe(configure);
    }

    /// <summary>
    /// Registers PandaProbe as <see cref="AddPandaProbe(IServiceCollection, IConfiguration, Action{PandaProbeOptions}?)"/>
    /// does, reading the section <paramref name="sectionName"/> (for example <c>"PandaProbe"</c>) of the
    /// <see cref="IConfiguration"/> registered in the container (the host's configuration), when the options are built.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="sectionName">The section's key or path (<c>"PandaProbe"</c>, <c>"Observability:PandaProbe"</c>).</param>
    /// <param name="configure">Sets the options after the configuration; <c>null</c> for none.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>
    /// Validation errors name the keys under <paramref name="sectionName"/> (<c>PandaProbe:BatchSize</c>) and their
    /// <c>PANDAPROBE_*</c> variables. A missing section counts as empty: the environment and the defaults apply.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="sectionName"/> is <c>null</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="sectionName"/> is empty or white space.</exception>
    public static IServiceCollection AddPandaProbe(
        this IServiceCollection services, string sectionName, Action<PandaProbeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionName);
        services.AddOptions<PandaProbeOptions>()
            .Configure<IConfiguration>((options, configuration) => OptionsBinder.Bind(configuration.GetSection(sectionName), options));
        services.AddSingleton(new ConfigurationSectionPath(sectionName));
        return services.AddPandaProbe(configure);
    }

    /// <summary>Turns <see cref="PandaProbeOptions.CaptureActivityContext"/> on in a host unless it was set.</summary>
    sealed class CaptureActivityByDefault : IPostConfigureOptions<PandaProbeOptions>
    {
        public void PostConfigure(string? name, PandaProbeOptions options) => options.CaptureActivityContext ??= true;
    }

    /// <summary>
    /// Adds a the PandaProbe health check of the registered <see cref="PandaProbeClient"/> (register it with
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
