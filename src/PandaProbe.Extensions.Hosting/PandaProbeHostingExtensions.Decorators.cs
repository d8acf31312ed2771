using Microsoft.Extensions.DependencyInjection;

namespace PandaProbe.Extensions.Hosting;

public static partial class PandaProbeHostingExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TImplementation"/> as <typeparamref name="TService"/> with
    /// <paramref name="lifetime"/>, decorated by <see cref="PandaProbeProxy"/>: each call of a
    /// <typeparamref name="TService"/> method is a span (see <see cref="PandaProbeProxy"/> and
    /// <see cref="PandaProbeSpanAttribute"/>). The container builds the implementation (constructor injection) and
    /// disposes it as it would without the decoration; traces a call starts go to the registered
    /// <see cref="PandaProbeClient"/> (<c>AddPandaProbe</c>), or to <see cref="Probe"/>'s default client without one.
    /// </summary>
    /// <typeparam name="TService">The interface resolved; it must be an interface.</typeparam>
    /// <typeparam name="TImplementation">The class that implements it.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="lifetime">The lifetime of the service. <value>Default: <see cref="ServiceLifetime.Scoped"/>.</value></param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <c>null</c>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TService"/> is not an interface.</exception>
    /// <example><code>
    /// builder.Services.AddPandaProbe(builder.Configuration.GetSection("PandaProbe"));
    /// builder.Services.AddPandaProbeTracing&lt;IDocumentSearch, DocumentSearch&gt;(ServiceLifetime.Singleton);
    /// </code></example>
    public static IServiceCollection AddPandaProbeTracing<TService, TImplementation>(
        this IServiceCollection services, ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where TService : class
        where TImplementation : class, TService
    {
        ArgumentNullException.ThrowIfNull(services);
        RequireInterface<TService>(nameof(AddPandaProbeTracing));
        var decoration = new Decoration<TService>();
        services.Add(new ServiceDescriptor(typeof(TService), decoration, typeof(TImplementation), lifetime));
        services.Add(new ServiceDescriptor(typeof(TService), decoration.Create, lifetime));
        return services;
    }

    /// <summary>
    /// Decorates every registration of <typeparamref name="TService"/> made so far (not keyed ones) with
    /// <see cref="PandaProbeProxy"/>, keeping its lifetime: each call of a <typeparamref name="TService"/> method is a
    /// span (see <see cref="PandaProbeProxy"/> and <see cref="PandaProbeSpanAttribute"/>). The implementation is built
    /// and disposed as before (an instance you registered is still not disposed by the container); traces a call
    /// starts go to the registered <see cref="PandaProbeClient"/>, or to <see cref="Probe"/>'s default client without
    /// one. Registrations already decorated are left as they are, so calling it twice traces each call once.
    /// </summary>
    /// <typeparam name="TService">The interface to decorate; it must be an interface.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <c>null</c>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TService"/> is not an interface.</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="TService"/> has no registration to decorate.</exception>
    /// <example><code>
    /// builder.Services.AddScoped&lt;IDocumentSearch, DocumentSearch&gt;();
    /// builder.Services.DecorateWithPandaProbe&lt;IDocumentSearch&gt;();
    /// </code></example>
    public static IServiceCollection DecorateWithPandaProbe<TService>(this IServiceCollection services) where TService : class
    {
        ArgumentNullException.ThrowIfNull(services);
        RequireInterface<TService>(nameof(DecorateWithPandaProbe));
        var found = false;
        for (var i = 0; i < services.Count; i++)
        {
            var registered = services[i];
            if (registered.ServiceType != typeof(TService) || registered.IsKeyedService) continue;
            found = true;
            if (registered.ImplementationFactory?.Target is Decoration<TService>) continue;
            var decoration = new Decoration<TService>();
            // The original registration moves under a key of its own: the container still builds and disposes it.
            services.Add(registered.ImplementationInstance is { } instance
                ? new ServiceDescriptor(typeof(TService), decoration, instance)
                : registered.ImplementationFactory is { } factory
                    ? new ServiceDescriptor(typeof(TService), decoration, (provider, _) => factory(provider), registered.Lifetime)
                    : new ServiceDescriptor(typeof(TService), decoration, registered.ImplementationType!, registered.Lifetime));
            services[i] = new ServiceDescriptor(typeof(TService), decoration.Create, registered.Lifetime);
        }
        if (!found)
            throw new InvalidOperationException(
                $"DecorateWithPandaProbe<{typeof(TService).Name}>: no registration of {typeof(TService).FullName} to decorate; register it first " +
                $"(services.AddScoped<{typeof(TService).Name}, …>()), or use AddPandaProbeTracing<{typeof(TService).Name}, …>().");
        return services;
    }

    static void RequireInterface<TService>(string method) => PandaProbeProxy.RequireInterface<TService>(method);

    /// <summary>
    /// One decorated registration: the key its implementation is registered under, and the factory of the proxy (whose
    /// target identifies a registration as decorated).
    /// </summary>
    sealed class Decoration<TService> where TService : class
    {
        public object Create(IServiceProvider provider) =>
            PandaProbeProxy.Create(provider.GetRequiredKeyedService<TService>(this), provider.GetService<PandaProbeClient>(), forwardDispose: false);

        public override string ToString() => $"PandaProbe decoration of {typeof(TService).Name}";
    }
}
