using Microsoft.Extensions.AI;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> decorator that records every generation as a PandaProbe
/// EMBEDDING span: a child of the current span when a trace is open in the flow, otherwise the single span of a
/// standalone trace with the same name. Results and exceptions reach the caller unchanged; telemetry failures are
/// never surfaced.
/// </summary>
/// <remarks>
/// Recorded: the model (<see cref="EmbeddingGenerationOptions.ModelId"/> or the generator's default, replaced by the
/// model the embeddings report), the inputs (subject to the client's capture and redaction settings),
/// <c>metadata.input_count</c>, <c>metadata.dimensions</c>, <c>metadata.provider</c> with <c>server.address</c> and
/// <c>server.port</c> when the generator reports its endpoint, the input token count of
/// <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/> as <c>prompt_tokens</c> (the cost then comes from the client's
/// price catalogue), and errors (status ERROR, the exception rethrown unchanged). Vectors are never recorded: the
/// output is <c>{"count":…,"dimensions":…}</c>.
/// </remarks>
internal sealed class PandaProbeEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The span (and standalone trace) name used when none is given.</summary>
    public const string DefaultSpanName = "embedding";

    readonly PandaProbeClient? client;
    readonly Lazy<EmbeddingGeneratorMetadata?> metadata;
    readonly PandaProbeAIExtensions.GenAiMetrics metrics;

    /// <summary>Wraps <paramref name="innerGenerator"/>.</summary>
    /// <param name="innerGenerator">The generator that does the work.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <see cref="DefaultSpanName"/>).</param>
    /// <param name="metrics">The gen_ai metrics family published for every generation.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerGenerator"/> is <c>null</c>.</exception>
    public PandaProbeEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator,
        PandaProbeClient? client = null, string? spanName = null,
        PandaProbeAIExtensions.GenAiMetrics metrics = PandaProbeAIExtensions.GenAiMetrics.SemanticConventions)
        : base(innerGenerator)
    {
        this.client = client;
        this.metrics = metrics;
        SpanName = string.IsNullOrWhiteSpace(spanName) ? DefaultSpanName : spanName;
        metadata = new Lazy<EmbeddingGeneratorMetadata?>(ReadMetadata, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The name of the spans (and standalone traces) this generator records.</summary>
    public string SpanName { get; }

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values as IReadOnlyList<string> ?? values.ToList();
        var measured = StartMetrics(options);
        var (span, standalone, owned) = TryStart(inputs, options);
        if (span is null && measured is null) return await base.GenerateAsync(inputs, options, cancellationToken).ConfigureAwait(false);

        GeneratedEmbeddings<Embedding<float>> result;
        try
        {
            result = await base.GenerateAsync(inputs, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            measured?.Failed(ex);
            if (span is null) throw;
            try
            {
                span.Fail(ex);
                if (owned) span.End();
                if (standalone is not null)
                {
                    standalone.Fail(ex);
                    standalone.End();
                }
            }
            catch (Exception telemetry) { SelfLog.Write($"embedding instrumentation could not record a failure: {telemetry.Message}"); }
            throw;
        }
        measured?.Succeeded(FirstModel(result), result?.Usage?.InputTokenCount);
        if (span is not null) Finish(span, standalone, result!, options, owned);
        return result!;
    }

    /// <summary>The metrics of a generation; <c>null</c> when none are published (see <see cref="Internal.ModelCallMetrics.Start"/>).</summary>
    Internal.ModelCallMetrics? StartMetrics(EmbeddingGenerationOptions? options)
    {
        if (metrics == PandaProbeAIExtensions.GenAiMetrics.None) return null;
        EmbeddingGeneratorMetadata? meta = null;
        try { meta = metadata.Value; } catch (Exception) { }
        return Internal.ModelCallMetrics.Start(metrics, embeddings: true, options?.ModelId ?? meta?.DefaultModelId, meta?.ProviderName,
            meta?.ProviderUri, client, this, SameCall());
    }

    static string? FirstModel(GeneratedEmbeddings<Embedding<float>>? result)
    {
        try { return result?.Select(e => e.ModelId).FirstOrDefault(m => !string.IsNullOrEmpty(m)); }
        catch (Exception) { return null; }
    }

    /// <summary>
    /// The span for this generation: a new one (<c>Owned</c>), or the span of the ingested <c>embeddings</c> activity
    /// that already stands for it (filled here, ended by the activity); no span when there is nothing to record.
    /// </summary>
    (SpanContext? Span, TraceContext? Standalone, bool Owned) TryStart(IReadOnlyList<string> inputs, EmbeddingGenerationOptions? options)
    {
        TraceContext? standalone = null;
        try
        {
            var meta = metadata.Value;
            var spanMetadata = new Dictionary<string, object?> { ["input_count"] = inputs.Count };
            Internal.ChatTelemetry.AddProvider(spanMetadata, meta?.ProviderName, meta?.ProviderUri);
            if (options?.Dimensions is { } dimensions) spanMetadata["dimensions"] = dimensions;
            var model = options?.ModelId ?? meta?.DefaultModelId;
            // An outer layer records this call (see GenAiClaims): nothing more, or this call's details on its span.
            if (Internal.GenAiClaims.Claimant(SpanType.Embedding, this, out var shared) is { } claimant)
            {
                if (!shared) return (null, null, false);
                if (model is not null) claimant.SetModel(model);
                claimant.SetMetadata(spanMetadata);
                claimant.SetInput(inputs.ToArray());
                return (claimant, null, false);
            }
            var trace = Probe.CurrentTrace;
            if (trace is not { IsRecording: true })
            {
                var owner = client ?? Probe.Client;
                if (!owner.IsEnabled) return (null, null, false);
                standalone = owner.StartTrace(SpanName, input: inputs.ToArray());
                trace = standalone;
            }
            var span = trace.Span(SpanName, SpanType.Embedding, model, spanMetadata);
            Internal.GenAiClaims.Claim(SpanType.Embedding, span, target: SameCall());
            span.SetInput(inputs.ToArray());
            return (span, standalone, true);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"embedding instrumentation could not start '{SpanName}': {ex.Message}");
            try { standalone?.End(); } catch (Exception) { }
            return (null, null, false);
        }
    }

    static void Finish(SpanContext span, TraceContext? standalone, GeneratedEmbeddings<Embedding<float>> result,
        EmbeddingGenerationOptions? options, bool owned)
    {
        Dictionary<string, object?>? output = null;
        try
        {
            var dimensions = result.Count > 0 ? result[0].Vector.Length : options?.Dimensions;
            output = new Dictionary<string, object?> { ["count"] = result.Count, ["dimensions"] = dimensions };
            span.SetOutput(output);
            if (dimensions is not null) span.SetMetadata(new Dictionary<string, object?> { ["dimensions"] = dimensions });
            if (result.Select(e => e.ModelId).FirstOrDefault(m => !string.IsNullOrEmpty(m)) is { } model) span.SetModel(model);
            if (result.Usage is { InputTokenCount: { } tokens })
            {
                var extra = new Dictionary<string, long>();
                if (result.Usage.TotalTokenCount is { } total and > 0) extra[TokenUsage.TotalKey] = total;
                span.SetTokenUsage(Math.Max(0, tokens), 0, extra);
            }
        }
        catch (Exception ex) { SelfLog.Write($"embedding instrumentation could not record the result: {ex.Message}"); }
        finally
        {
            try { if (owned) span.End(); } catch (Exception ex) { SelfLog.Write($"embedding instrumentation: {ex.Message}"); }
        }
        if (standalone is null) return;
        try
        {
            if (output is not null) standalone.SetOutput(output);
            standalone.End();
        }
        catch (Exception ex) { SelfLog.Write($"embedding instrumentation: {ex.Message}"); }
    }

    /// <summary>
    /// The layer a generation reaches as the same call: the next <see cref="PandaProbeEmbeddingGenerator"/> of the
    /// pipeline beneath (through delegating middleware), else the inner generator.
    /// </summary>
    object SameCall()
    {
        try { return InnerGenerator.GetService(typeof(PandaProbeEmbeddingGenerator)) as PandaProbeEmbeddingGenerator ?? (object)InnerGenerator; }
        catch (Exception) { return InnerGenerator; }
    }

    EmbeddingGeneratorMetadata? ReadMetadata()
    {
        try { return InnerGenerator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata; }
        catch (Exception) { return null; }
    }
}
