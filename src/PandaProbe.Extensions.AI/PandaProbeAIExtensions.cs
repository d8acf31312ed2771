using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI;

/// <summary>
/// PandaProbe tracing for Microsoft.Extensions.AI: <c>UsePandaProbe()</c> in a chat client or embedding generator
/// pipeline, <c>WithPandaProbe()</c> around an existing client or generator, and <c>IngestGenAiActivities()</c> to record
/// the gen_ai activities of OpenTelemetry-instrumented libraries as spans.
/// </summary>
public static class PandaProbeAIExtensions
{
    /// <summary>
    /// The sources <see cref="IngestGenAiActivities"/> listens to by default: <c>Experimental.Microsoft.Extensions.AI</c>,
    /// <c>Experimental.Microsoft.Agents.AI</c>, <c>Microsoft.SemanticKernel*</c> and <c>OpenAI.*</c>. A trailing
    /// <c>*</c> matches any source whose name starts with what precedes it.
    /// </summary>
    public static IReadOnlyList<string> GenAiSources { get; } =
        ["Experimental.Microsoft.Extensions.AI", "Experimental.Microsoft.Agents.AI", "Microsoft.SemanticKernel*", "OpenAI.*"];

    /// <summary>
    /// Adds the PandaProbe chat client at this position of the pipeline. Inside a tool loop (after
    /// <c>UseFunctionInvocation()</c>) it records an LLM span per model call; outside one (before
    /// <c>UseFunctionInvocation()</c>) it records a TOOL span per function invocation and opens one trace per request
    /// when none is open. For both, use it on each side:
    /// <c>builder.UsePandaProbe().UseFunctionInvocation().UsePandaProbe()</c>.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="client">The PandaProbe client for traces opened here; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The LLM span (and opened trace) name (default <c>chat</c>).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static ChatClientBuilder UsePandaProbe(this ChatClientBuilder builder, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeChatClient(inner, client, spanName));
    }

    /// <summary>
    /// Wraps <paramref name="chatClient"/> in the PandaProbe chat client: every call becomes an LLM span
    /// (a child of the current span when a trace is open in the flow, otherwise a standalone trace).
    /// </summary>
    /// <param name="chatClient">The chat client to trace.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>chat</c>).</param>
    /// <returns>The tracing chat client.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <c>null</c>.</exception>
    public static IChatClient WithPandaProbe(this IChatClient chatClient, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return new PandaProbeChatClient(chatClient, client, spanName);
    }

    /// <summary>
    /// Wraps <paramref name="generator"/> in the PandaProbe embedding generator: every generation becomes an
    /// EMBEDDING span (a child of the current span when a trace is open in the flow, otherwise a standalone trace).
    /// </summary>
    /// <param name="generator">The embedding generator to trace.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>embedding</c>).</param>
    /// <returns>The tracing generator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="generator"/> is <c>null</c>.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> WithPandaProbe(
        this IEmbeddingGenerator<string, Embedding<float>> generator, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return new PandaProbeEmbeddingGenerator(generator, client, spanName);
    }

    /// <summary>Adds the PandaProbe embedding generator at this position of the pipeline.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>embedding</c>).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UsePandaProbe(
        this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeEmbeddingGenerator(inner, client, spanName));
    }

    /// <summary>
    /// Records the gen_ai activities of <see cref="GenAiSources"/> (and of
    /// <paramref name="additionalSources"/>, e.g. the name given to <c>UseOpenTelemetry(sourceName: …)</c>) as spans of
    /// <paramref name="client"/> until the returned handle is disposed or the client shuts down:
    /// <c>using var ingestion = client.IngestGenAiActivities();</c>.
    /// </summary>
    /// <param name="client">The client that records the spans (and the traces opened by root activities).</param>
    /// <param name="additionalSources">More source names to listen to; a trailing <c>*</c> matches a prefix. A bare
    /// <c>*</c> is refused; <c>System.Net.Http*</c> and <c>Microsoft.AspNetCore*</c> sources are never ingested.</param>
    /// <returns>The running ingestion; dispose it to stop (it also stops when the client shuts down).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <c>null</c>.</exception>
    /// <exception cref="ArgumentException"><paramref name="additionalSources"/> contains a bare <c>*</c> (every source,
    /// the HTTP client's included).</exception>
    public static IDisposable IngestGenAiActivities(this PandaProbeClient client, params string[] additionalSources)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new GenAiActivityIngestion(client, additionalSources ?? []);
    }
}
