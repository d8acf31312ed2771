using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI;

/// <summary>Extension methods that add PandaProbe tracing to Microsoft.Extensions.AI embedding generators.</summary>
public static class PandaProbeEmbeddingGeneratorExtensions
{
    /// <summary>
    /// Wraps <paramref name="generator"/> in a <see cref="PandaProbeEmbeddingGenerator"/>: every generation becomes an
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

    /// <summary>Adds a <see cref="PandaProbeEmbeddingGenerator"/> at this position of the pipeline.</summary>
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
}
