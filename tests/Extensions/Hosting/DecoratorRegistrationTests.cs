using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary>
/// <c>AddPandaProbeTracing</c> and <c>DecorateWithPandaProbe</c> with the real Microsoft.Extensions.DependencyInjection
/// container: every call of a decorated service is a span (nested when decorated services call each other), the
/// container builds and disposes the implementations as it would without the decoration, and lifetimes are kept.
/// </summary>
[Collection(ProcessWide.Name)]
public class DecoratorRegistrationTests
{
    public interface IEmbedder
    {
        Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default);
    }

    [PandaProbeSpan(Kind = SpanType.Retriever)]
    public interface IRetriever
    {
        Task<IReadOnlyList<string>> RetrieveAsync(string query, int top, CancellationToken cancellationToken = default);

        IAsyncEnumerable<string> StreamAsync(string query);

        [PandaProbeSpan(Kind = SpanType.Tool, Name = "delete-index", CaptureInput = false, CaptureOutput = false)]
        int Delete(string index, string apiKey);

        Task FailAsync(string why);
    }

    public sealed class Embedder : IEmbedder, IDisposable
    {
        public static int Disposals;
        public async Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return [text.Length, 1f];
        }

        public void Dispose() => Interlocked.Increment(ref Disposals);
    }

    /// <summary>Built by the container, with a decorated dependency.</summary>
    public sealed class Retriever(IEmbedder embedder) : IRetriever
    {
        public async Task<IReadOnlyList<string>> RetrieveAsync(string query, int top, CancellationToken cancellationToken = default)
        {
            await embedder.EmbedAsync(query, cancellationToken);
            return Enumerable.Range(1, top).Select(i => $"doc-{i}").ToArray();
        }

        public async IAsyncEnumerable<string> StreamAsync(string query)
        {
            foreach (var hit in await RetrieveAsync(query, 2))
            {
                await Task.Yield();
                yield return hit;
            }
        }

        public int Delete(string index, string apiKey) => 3;

        public async Task FailAsync(string why)
        {
            await Task.Yield();
            throw new InvalidOperationException(why);
        }
    }

    static (ServiceCollection Services, InMemoryTraceExporter Exporter) Services()
    {
        var exporter = new InMemoryTraceExporter();
        var services = new ServiceCollection();
        services.AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
        });
        return (services, exporter);
    }

    static ServiceProvider Build(IServiceCollection services) =>
        services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });

    static async Task<TraceRecord> Single(IServiceProvider provider, InMemoryTraceExporter exporter)
    {
        Assert.True((await provider.GetRequiredService<PandaProbeClient>().FlushAsync(TimeSpan.FromSeconds(10))).Completed);
        return Assert.Single(exporter.Traces);
    }

    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    static JsonElement Json(Payload? payload) => JsonDocument.Parse(payload?.ToJson() ?? "null").RootElement.Clone();

    [Fact]
    public async Task Registered_services_are_traced_with_nested_calls_inputs_outputs_and_kinds()
    {
        var (services, exporter) = Services();
        services.AddPandaProbeTracing<IEmbedder, Embedder>(ServiceLifetime.Singleton);
        services.AddPandaProbeTracing<IRetriever, Retriever>();
        await using var provider = Build(services);
        await using var scope = provider.CreateAsyncScope();
        var retriever = scope.ServiceProvider.GetRequiredService<IRetriever>();
        var client = provider.GetRequiredService<PandaProbeClient>();

        IReadOnlyList<string> hits;
        using (var trace = client.StartTrace("answer"))
        using (trace.Span("plan", SpanType.Agent))
        {
            hits = await retriever.RetrieveAsync("what is PandaProbe?", top: 2);
            Assert.Equal(3, retriever.Delete("docs", "secret-key"));
        }
        var t = await Single(provider, exporter);

        Assert.Equal(new[] { "doc-1", "doc-2" }, hits);
        Assert.Equal(4, t.Spans.Count);
        var retrieve = Named(t, "RetrieveAsync");
        Assert.Equal(SpanType.Retriever, retrieve.Kind);   // the interface's attribute
        Assert.Equal(Named(t, "plan").Id, retrieve.Parent);
        Assert.Equal("what is PandaProbe?", Json(retrieve.Input).GetProperty("query").GetString());
        Assert.Equal(2, Json(retrieve.Input).GetProperty("top").GetInt32());
        Assert.Equal("doc-2", Json(retrieve.Output)[1].GetString());
        var embed = Named(t, "EmbedAsync");                 // the dependency's call nests under the caller's
        Assert.Equal(retrieve.Id, embed.Parent);
        Assert.Equal(SpanType.Other, embed.Kind);
        Assert.Equal(19, Json(embed.Output)[0].GetDouble());
        var delete = Named(t, "delete-index");              // the method's attribute
        Assert.Equal(SpanType.Tool, delete.Kind);
        Assert.Null(delete.Input);
        Assert.Null(delete.Output);
        Assert.DoesNotContain("secret-key", t.ToJson());
    }

    [Fact]
    public async Task Streams_and_exceptions_through_the_container()
    {
        var (services, exporter) = Services();
        services.AddPandaProbeTracing<IEmbedder, Embedder>(ServiceLifetime.Transient);
        services.AddPandaProbeTracing<IRetriever, Retriever>(ServiceLifetime.Transient);
        await using var provider = Build(services);
        var retriever = provider.GetRequiredService<IRetriever>();
        var client = provider.GetRequiredService<PandaProbeClient>();

        var streamed = new List<string>();
        InvalidOperationException thrown;
        using (var trace = client.StartTrace("stream"))
        {
            await foreach (var hit in retriever.StreamAsync("q")) streamed.Add(hit);
            thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => retriever.FailAsync("index offline"));
        }
        var t = await Single(provider, exporter);

        Assert.Equal(new[] { "doc-1", "doc-2" }, streamed);
        Assert.Equal("index offline", thrown.Message);
        var stream = Named(t, "StreamAsync");
        Assert.Equal(new[] { "doc-1", "doc-2" }, Json(stream.Output).EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal(stream.Id, Named(t, "EmbedAsync").Parent);   // the stream's source ran under its span
        var failed = Named(t, "FailAsync");
        Assert.Equal(SpanStatus.Error, failed.Status);
        Assert.Equal("index offline", failed.Error?.Message);
        Assert.Equal(3, t.Spans.Count);
    }

    [Fact]
    public async Task Without_an_open_trace_a_call_is_a_trace_of_the_registered_client()
    {
        var (services, exporter) = Services();
        services.AddPandaProbeTracing<IEmbedder, Embedder>();
        await using var provider = Build(services);
        await using var scope = provider.CreateAsyncScope();

        await scope.ServiceProvider.GetRequiredService<IEmbedder>().EmbedAsync("hello");
        var t = await Single(provider, exporter);

        Assert.Equal("EmbedAsync", t.Name);
        Assert.Equal("EmbedAsync", Assert.Single(t.Spans).Name);
        Assert.Equal("hello", Json(t.Input).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Lifetimes_are_kept_and_the_container_disposes_each_implementation_once()
    {
        var (services, _) = Services();
        services.AddPandaProbeTracing<IEmbedder, Embedder>(ServiceLifetime.Scoped);
        services.AddPandaProbeTracing<IRetriever, Retriever>(ServiceLifetime.Transient);
        await using var provider = Build(services);
        var before = Volatile.Read(ref Embedder.Disposals);
        IEmbedder first;
        await using (var scope = provider.CreateAsyncScope())
        {
            first = scope.ServiceProvider.GetRequiredService<IEmbedder>();
            Assert.Same(first, scope.ServiceProvider.GetRequiredService<IEmbedder>());
            Assert.NotSame(scope.ServiceProvider.GetRequiredService<IRetriever>(), scope.ServiceProvider.GetRequiredService<IRetriever>());
            Assert.IsNotType<Embedder>(first);   // the proxy, not the implementation
        }
        Assert.Equal(before + 1, Volatile.Read(ref Embedder.Disposals));
        await using (var scope = provider.CreateAsyncScope())
            Assert.NotSame(first, scope.ServiceProvider.GetRequiredService<IEmbedder>());
        Assert.Equal(before + 2, Volatile.Read(ref Embedder.Disposals));
    }

    public interface IClock : IDisposable
    {
        DateTimeOffset Now();
    }

    public sealed class FixedClock : IClock
    {
        public int Disposals;
        public DateTimeOffset Now() => DateTimeOffset.UnixEpoch;
        public void Dispose() => Disposals++;
    }

    [Fact]
    public async Task Existing_registrations_are_decorated_whatever_their_form()
    {
        var (services, exporter) = Services();
        var instance = new FixedClock();
        var built = new List<FixedClock>();
        services.AddSingleton<IClock>(instance);
        services.AddScoped<IClock>(_ => { var c = new FixedClock(); built.Add(c); return c; });
        services.AddTransient<IClock, FixedClock>();
        services.AddScoped<IEmbedder, Embedder>();
        services.DecorateWithPandaProbe<IClock>();
        services.DecorateWithPandaProbe<IClock>();   // twice: still one span per call
        services.DecorateWithPandaProbe<IEmbedder>();
        Assert.Equal(new[] { ServiceLifetime.Singleton, ServiceLifetime.Scoped, ServiceLifetime.Transient },
            services.Where(d => d.ServiceType == typeof(IClock) && !d.IsKeyedService).Select(d => d.Lifetime).ToArray());

        await using (var provider = Build(services))
        {
            var client = provider.GetRequiredService<PandaProbeClient>();
            await using (var scope = provider.CreateAsyncScope())
            {
                var clocks = scope.ServiceProvider.GetServices<IClock>().ToArray();
                Assert.Equal(3, clocks.Length);
                using (client.StartTrace("clocks"))
                {
                    foreach (var clock in clocks) clock.Now();
                    await scope.ServiceProvider.GetRequiredService<IEmbedder>().EmbedAsync("x");
                }
            }
            var t = await Single(provider, exporter);
            Assert.Equal(3, t.Spans.Count(s => s.Name == "Now"));
            Assert.Single(t.Spans, s => s.Name == "EmbedAsync");
            Assert.Equal(1, Assert.Single(built).Disposals);   // the factory's result: disposed by the container, once
        }
        Assert.Equal(0, instance.Disposals);   // an instance you registered is still yours
    }

    [Fact]
    public void Decorating_needs_an_interface_and_a_registration()
    {
        var services = new ServiceCollection();
        var missing = Assert.Throws<InvalidOperationException>(() => services.DecorateWithPandaProbe<IClock>());
        Assert.Contains("no registration", missing.Message);
        Assert.Throws<ArgumentException>(() => services.AddPandaProbeTracing<FixedClock, FixedClock>());
        services.AddSingleton<FixedClock>();
        Assert.Throws<ArgumentException>(() => services.DecorateWithPandaProbe<FixedClock>());
    }

    [Fact]
    public async Task In_a_running_host_calls_are_spans_of_traces_started_with_Probe()
    {
        var exporter = new InMemoryTraceExporter();
        using var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddPandaProbe(o =>
                {
                    o.EnvironmentVariables = Clients.NoEnvironment;
                    o.RegisterProcessExitHandler = false;
                    o.Exporters.Add(exporter);
                });
                services.AddPandaProbeTracing<IEmbedder, Embedder>(ServiceLifetime.Singleton);
            })
            .Build();
        await host.StartAsync();
        using (var trace = Probe.StartTrace("request"))
            await host.Services.GetRequiredService<IEmbedder>().EmbedAsync("hi");
        await host.StopAsync();

        var t = Assert.Single(exporter.Traces);
        Assert.Equal("request", t.Name);
        Assert.Equal("EmbedAsync", Assert.Single(t.Spans).Name);
    }

    // ---- README.md, "Tracing your own services: decorators" (and the package README) ----------------------------

    [PandaProbeSpan(Kind = SpanType.Retriever)]                    // the default of every method of the interface
    public interface IDocumentSearch
    {
        Task<IReadOnlyList<string>> SearchAsync(string query, int top, CancellationToken cancellationToken = default);

        [PandaProbeSpan(Kind = SpanType.Tool, Name = "fetch-page", CaptureOutput = false)]
        Task<string> FetchAsync(Uri page);

        IAsyncEnumerable<string> StreamAsync(string query);          // one span per enumeration, with the items
    }

    public sealed class DocumentSearch : IDocumentSearch
    {
        public Task<IReadOnlyList<string>> SearchAsync(string query, int top, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<string>>(Enumerable.Range(1, top).Select(i => $"{query}-{i}").ToArray());

        public Task<string> FetchAsync(Uri page) => Task.FromResult("<html/>");

        public async IAsyncEnumerable<string> StreamAsync(string query)
        {
            await Task.Yield();
            yield return query;
        }
    }

    public interface IReranker
    {
        IReadOnlyList<string> Rerank(IReadOnlyList<string> hits);
    }

    public sealed class Reranker : IReranker
    {
        public IReadOnlyList<string> Rerank(IReadOnlyList<string> hits) => hits.Reverse().ToArray();
    }

    [Fact]
    public async Task The_readme_decorator_example_runs()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
        });

        // --- README block ---
        builder.Services.AddPandaProbeTracing<IDocumentSearch, DocumentSearch>(ServiceLifetime.Scoped);
        // or, for a service registered elsewhere (every registration of it, with its lifetime):
        builder.Services.AddScoped<IReranker, Reranker>();
        builder.Services.DecorateWithPandaProbe<IReranker>();

        // without dependency injection:
        IDocumentSearch search = PandaProbeProxy.Create<IDocumentSearch>(new DocumentSearch());
        // --- end ---

        using var host = builder.Build();
        await host.StartAsync();
        await using (var scope = host.Services.CreateAsyncScope())
        using (var trace = Probe.StartTrace("answer"))
        {
            var hits = await scope.ServiceProvider.GetRequiredService<IDocumentSearch>().SearchAsync("q", 2);
            scope.ServiceProvider.GetRequiredService<IReranker>().Rerank(hits);
            await search.FetchAsync(new Uri("https://example.com"));
            await foreach (var _ in search.StreamAsync("s")) { }
        }
        await host.StopAsync();

        var t = Assert.Single(exporter.Traces);
        Assert.Equal(new[] { "Rerank", "SearchAsync", "StreamAsync", "fetch-page" }, t.Spans.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(SpanType.Retriever, Named(t, "SearchAsync").Kind);
        Assert.Equal(SpanType.Tool, Named(t, "fetch-page").Kind);
        Assert.Null(Named(t, "fetch-page").Output);
        Assert.Equal("[\"s\"]", Named(t, "StreamAsync").Output?.ToJson());
    }
}
