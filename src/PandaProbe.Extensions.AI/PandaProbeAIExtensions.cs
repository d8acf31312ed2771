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
    /// Which family of OpenTelemetry gen_ai metrics the middleware publishes on the <c>PandaProbe</c> meter (pass it as
    /// the <c>metrics</c> argument of <c>UsePandaProbe</c> / <c>WithPandaProbe</c>). Every family records one duration
    /// per model call (with <c>error.type</c> when it failed) and token counts only for calls that returned usage;
    /// <c>gen_ai.client.operation.cost</c> prices chat calls from the client's catalogue. See the package README for the
    /// names, units and attributes.
    /// </summary>
    public enum GenAiMetrics
    {
        /// <summary>
        /// OpenTelemetry's gen_ai semantic conventions v1.41, the names Microsoft.Extensions.AI's
        /// <c>UseOpenTelemetry()</c> emits: <c>gen_ai.client.token.usage</c> (histogram, <c>{token}</c>, by
        /// <c>gen_ai.token.type</c> = <c>input</c>/<c>output</c>) and <c>gen_ai.client.operation.duration</c>
        /// (histogram, <c>s</c>). The default.
        /// </summary>
        SemanticConventions = 0,

        /// <summary>
        /// The semantic-conventions-genai v0.1.0 family: <c>gen_ai.client.inference.duration</c>, the
        /// <c>gen_ai.client.inference.usage.{input,output,cache_read.input,cache_write.input,reasoning.output}_tokens</c>
        /// counters (by <c>gen_ai.token.modality</c>), the <c>gen_ai.client.inference.operation.{input,output}_tokens</c>
        /// histograms; for embeddings <c>gen_ai.client.embeddings.duration</c> and
        /// <c>gen_ai.client.embeddings.operation.input_tokens</c>.
        /// </summary>
        SemanticConventionsGenAi = 1,

        /// <summary>No gen_ai metrics from this middleware (for instance when <c>UseOpenTelemetry()</c> already publishes them).</summary>
        None = 2,
    }

    /// <summary>
    /// The sources <see cref="IngestGenAiActivities"/> listens to by default: <c>Experimental.Microsoft.Extensions.AI</c>,
    /// <c>Experimental.Microsoft.Agents.AI</c>, <c>Microsoft.SemanticKernel*</c> and <c>OpenAI.*</c>. A trailing
    /// <c>*</c> matches any source whose name starts with what precedes it.
    /// </summary>
    public static IReadOnlyList<string> GenAiSources { get; } =
        ["Experimental.Microsoft.Extensions.AI", "Experimental.Microsoft.Agents.AI", "Microsoft.SemanticKernel*", "OpenAI.*"];

    /// <summary>
    /// Adds the PandaProbe chat client at this position of the pipeline. Next to a tool loop, on either side of
    /// <c>UseFunctionInvocation()</c>, one layer records the whole loop: one trace per request when none is open, an LLM
    /// span per model call and a TOOL span per function invocation. Inside the loop
    /// (<c>builder.UseFunctionInvocation().UsePandaProbe()</c>) each model call is recorded exactly; outside it, each
    /// call's span is placed around the tools (see the package README). A layer on each side records every span once.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="client">The PandaProbe client for traces opened here; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The LLM span (and opened trace) name (default <c>chat</c>).</param>
    /// <param name="metrics">The gen_ai metrics family this layer publishes for the model calls it records (default
    /// <see cref="GenAiMetrics.SemanticConventions"/>); a layer outside the tool loop records none.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static ChatClientBuilder UsePandaProbe(this ChatClientBuilder builder, PandaProbeClient? client = null, string? spanName = null,
        GenAiMetrics metrics = GenAiMetrics.SemanticConventions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeChatClient(inner, client, spanName, metrics: metrics));
    }

    /// <summary>
    /// Wraps <paramref name="chatClient"/> in the PandaProbe chat client: every call becomes an LLM span
    /// (a child of the current span when a trace is open in the flow, otherwise a standalone trace).
    /// </summary>
    /// <param name="chatClient">The chat client to trace.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>chat</c>).</param>
    /// <param name="metrics">The gen_ai metrics family published for every call (default
    /// <see cref="GenAiMetrics.SemanticConventions"/>).</param>
    /// <returns>The tracing chat client.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <c>null</c>.</exception>
    public static IChatClient WithPandaProbe(this IChatClient chatClient, PandaProbeClient? client = null, string? spanName = null,
        GenAiMetrics metrics = GenAiMetrics.SemanticConventions)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return new PandaProbeChatClient(chatClient, client, spanName, metrics: metrics);
    }

    /// <summary>
    /// Wraps <paramref name="generator"/> in the PandaProbe embedding generator: every generation becomes an
    /// EMBEDDING span (a child of the current span when a trace is open in the flow, otherwise a standalone trace).
    /// </summary>
    /// <param name="generator">The embedding generator to trace.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>embedding</c>).</param>
    /// <param name="metrics">The gen_ai metrics family published for every generation (default
    /// <see cref="GenAiMetrics.SemanticConventions"/>).</param>
    /// <returns>The tracing generator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="generator"/> is <c>null</c>.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> WithPandaProbe(
        this IEmbeddingGenerator<string, Embedding<float>> generator, PandaProbeClient? client = null, string? spanName = null,
        GenAiMetrics metrics = GenAiMetrics.SemanticConventions)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return new PandaProbeEmbeddingGenerator(generator, client, spanName, metrics);
    }

    /// <summary>Adds the PandaProbe embedding generator at this position of the pipeline.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>embedding</c>).</param>
    /// <param name="metrics">The gen_ai metrics family published for every generation (default
    /// <see cref="GenAiMetrics.SemanticConventions"/>).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> UsePandaProbe(
        this EmbeddingGeneratorBuilder<string, Embedding<float>> builder, PandaProbeClient? client = null, string? spanName = null,
        GenAiMetrics metrics = GenAiMetrics.SemanticConventions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeEmbeddingGenerator(inner, client, spanName, metrics));
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
