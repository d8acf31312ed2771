using System.Collections.Immutable;
using PandaProbe.Ambient;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>Run parameters (LastMile's ParamSet): model, chunk size, top k…, sent under <c>metadata.params</c>.</summary>
public sealed partial class TraceContext
{
    ImmutableDictionary<string, object?> registeredParams = ImmutableDictionary<string, object?>.Empty;

    /// <summary>
    /// Registers one parameter of this run (LastMile's ParamSet: model, chunk size, top k…), sent under
    /// <c>metadata.params</c>. By default it is also saved on <paramref name="span"/>, or on the current span.
    /// </summary>
    /// <param name="key">The parameter's name.</param>
    /// <param name="value">A JSON-serializable value.</param>
    /// <param name="alsoSaveInSpan">Also save it on the span (default <c>true</c>).</param>
    /// <param name="span">The span to save it on; <c>null</c> for the current span of this trace, if any.</param>
    public void RegisterParam(string key, object? value, bool alsoSaveInSpan = true, SpanContext? span = null)
    {
        if (client is null || string.IsNullOrEmpty(key)) return;
        RegisterParams(new Dictionary<string, object?> { [key] = value }, overwrite: false, alsoSaveInSpan ? span ?? CurrentSpanOrNull() : null);
    }

    /// <summary>
    /// Upserts several parameters (or, with <paramref name="overwrite"/>, replaces the whole set). They are also
    /// saved on <paramref name="span"/> when one is given.
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="overwrite"><c>true</c> replaces every parameter registered so far.</param>
    /// <param name="span">A span to save them on as well, if any.</param>
    public void RegisterParams(IReadOnlyDictionary<string, object?> parameters, bool overwrite = false, SpanContext? span = null)
    {
        if (client is null || parameters is null) return;
        var clean = client.Snapshot(parameters, "trace", Name, "parameters").Where(kv => !string.IsNullOrEmpty(kv.Key)).ToArray();
        ImmutableInterlocked.Update(ref registeredParams, current =>
            (overwrite ? ImmutableDictionary<string, object?>.Empty : current).SetItems(clean));
        var captured = client.CaptureMap(clean.ToDictionary(kv => kv.Key, kv => kv.Value));
        var now = client.EventTime(StartedAt);
        Raise(new ParamsRegistered(id, null, captured, overwrite, now));
        if (span is { IsRecording: true } s && ReferenceEquals(s.Trace, this))
            Raise(new ParamsRegistered(id, s.Id, captured, overwrite, now));
    }

    /// <summary>Every parameter registered on this trace so far, as given.</summary>
    public IReadOnlyDictionary<string, object?> GetParams() => registeredParams;

    /// <summary>Registers the document preprocessing (chunking) settings: <c>chunk_size</c>, <c>chunk_strategy</c>.</summary>
    public void RegisterDocumentPreprocessParams(int? chunkSize = null, string? chunkStrategy = null,
        IReadOnlyDictionary<string, object?>? extras = null) =>
        RegisterTyped(extras, ("chunk_size", chunkSize), ("chunk_strategy", chunkStrategy));

    /// <summary>Registers the embedding settings: <c>embedding_model</c>, <c>embedding_dimensions</c>.</summary>
    public void RegisterEmbeddingParams(string? embeddingModel = null, int? embeddingDimensions = null,
        IReadOnlyDictionary<string, object?>? extras = null) =>
        RegisterTyped(extras, ("embedding_model", embeddingModel), ("embedding_dimensions", embeddingDimensions));

    /// <summary>
    /// Registers the query processing settings: <c>query_embedding_model</c>, <c>query_embedding_dimensions</c>,
    /// <c>query_decomposition_strategy</c>.
    /// </summary>
    public void RegisterQueryProcessingParams(string? embeddingModel = null, int? embeddingDimensions = null,
        string? decompositionStrategy = null, IReadOnlyDictionary<string, object?>? extras = null) =>
        RegisterTyped(extras, ("query_embedding_model", embeddingModel), ("query_embedding_dimensions", embeddingDimensions),
            ("query_decomposition_strategy", decompositionStrategy));

    /// <summary>Registers the retrieval settings: <c>top_k</c>, <c>reranking_model</c>.</summary>
    public void RegisterRetrievalParams(int? topK = null, string? rerankingModel = null,
        IReadOnlyDictionary<string, object?>? extras = null) =>
        RegisterTyped(extras, ("top_k", topK), ("reranking_model", rerankingModel));

    /// <summary>
    /// Registers the generation (LLM) settings as given (OpenAI-style names recommended: <c>model</c>,
    /// <c>temperature</c>…); a <c>messages</c> entry is left out.
    /// </summary>
    public void RegisterGenerationParams(IReadOnlyDictionary<string, object?> modelParams,
        IReadOnlyDictionary<string, object?>? extras = null) =>
        RegisterTyped(extras, (modelParams ?? new Dictionary<string, object?>())
            .Where(kv => kv.Key != "messages").Select(kv => (kv.Key, kv.Value)).ToArray());

    void RegisterTyped(IReadOnlyDictionary<string, object?>? extras, params (string Key, object? Value)[] values)
    {
        var all = new Dictionary<string, object?>();
        foreach (var (k, v) in values) if (v is not null && !string.IsNullOrEmpty(k)) all[k] = v;
        if (extras is not null && client is not null)
            foreach (var (k, v) in client.Snapshot(extras, "trace", Name, "parameters")) if (!string.IsNullOrEmpty(k)) all[k] = v;
        if (all.Count > 0) RegisterParams(all, overwrite: false, CurrentSpanOrNull());
    }
}
