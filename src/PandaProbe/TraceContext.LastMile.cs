using System.Collections.Immutable;
using PandaProbe.Ambient;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

public sealed partial class TraceContext
{
    /// <summary>The span metadata key naming the RAG event type of a span made by the <c>Log…Event</c> methods.</summary>
    public const string RagEventTypeKey = "rag_event_type";

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
        var now = client.Now();
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

    /// <summary>Adds a free-form log entry to the trace (sent under <c>metadata.logs</c>).</summary>
    /// <param name="data">Any JSON-serializable value (a string is kept as is).</param>
    public void Log(object? data)
    {
        if (client is null) return;
        Raise(new Logged(id, null, client.Capture(data), client.Now()));
    }

    /// <summary>Records a chunking step: the document in, the chunks out (a span with <c>rag_event_type: chunking</c>).</summary>
    public void LogChunkingEvent(Document? inputDocument, IReadOnlyList<Chunk> outputChunks,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "chunking", name, SpanKind.Other, RagEvents.Shape(inputDocument), RagEvents.Shape(outputChunks), metadata);

    /// <summary>Records an embedding step: the data embedded in, the vectors out (an EMBEDDING span).</summary>
    public void LogEmbeddingEvent(IReadOnlyList<IReadOnlyList<float>> embeddings, object? data = null,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "embedding", name, SpanKind.Embedding, data, embeddings, metadata);

    /// <summary>Records a query rewrite: the query in, the rewritten queries out.</summary>
    public void LogQueryRewriteEvent(string query, IReadOnlyList<string> rewrittenQueries,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "query_rewrite", name, SpanKind.Chain, query, rewrittenQueries, metadata);

    /// <summary>Records a vector store lookup: the query in, the scored chunks out (a RETRIEVER span).</summary>
    /// <example><code>trace.LogRetrievalEvent("what is PandaProbe?", [new RetrievedChunk(id: "c1", content: "...", retrievalScore: 0.82)]);</code></example>
    public void LogRetrievalEvent(string query, IReadOnlyList<RetrievedChunk> retrievedData,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "retrieval", name, SpanKind.Retriever, query, RagEvents.Shape(retrievedData), metadata);

    /// <summary>Records a rerank: the retrieved chunks in, the reranked chunks (in order) out.</summary>
    public void LogRerankEvent(IReadOnlyList<RetrievedChunk> retrieved, IReadOnlyList<RetrievedChunk> reranked,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "rerank", name, SpanKind.Retriever, RagEvents.Shape(retrieved), RagEvents.Shape(reranked), metadata);

    /// <summary>Records a tool invocation: the arguments in, the result out (a TOOL span named after the tool).</summary>
    public void LogToolCallEvent(string tool, IReadOnlyDictionary<string, object?> toolArgs, object? toolResult,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "tool_call", name ?? tool, SpanKind.Tool, toolArgs, toolResult, metadata);

    /// <summary>Records the query and response of the RAG flow (with the system prompt in the input, when given).</summary>
    public void LogQueryEvent(string query, object? response, string? systemPrompt = null,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "query", name, SpanKind.Chain,
            systemPrompt is null ? query : new Dictionary<string, object?> { ["query"] = query, ["system_prompt"] = systemPrompt },
            response, metadata);

    /// <summary>
    /// Records one RAG event as a span that starts and ends now: a child of <paramref name="parent"/>, or of the current
    /// span of this trace; it does not become the current span.
    /// </summary>
    internal void RagSpan(SpanContext? parent, string eventType, string? name, SpanKind kind, object? input, object? output,
        IReadOnlyDictionary<string, object?>? metadata)
    {
        if (client is null) return;
        var meta = new Dictionary<string, object?>(metadata ?? new Dictionary<string, object?>()) { [RagEventTypeKey] = eventType };
        var span = StartSpan(string.IsNullOrWhiteSpace(name) ? eventType : name, kind, null, meta, parent, makeCurrent: false);
        span.SetInput(input);
        span.SetOutput(output);
        span.End();
    }

    SpanContext? CurrentSpanOrNull() => AmbientScope.InnermostSpan(this);
}
