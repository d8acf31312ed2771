using PandaProbe.Ambient;
using PandaProbe.Rag;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>Free-form log lines and the RAG step events (chunking, embedding, query rewrite, retrieval, rerank, tool call, query).</summary>
public sealed partial class TraceContext
{
    /// <summary>The span metadata key naming the RAG event type of a span made by the <c>Log…Event</c> methods.</summary>
    public const string RagEventTypeKey = "rag_event_type";

    /// <summary>Adds a free-form log entry to the trace (sent under <c>metadata.logs</c>).</summary>
    /// <param name="data">Any JSON-serializable value (a string is kept as is).</param>
    public void Log(object? data)
    {
        if (client is null) return;
        Raise(new Logged(id, null, client.Capture(data), client.Now()));
    }

    /// <summary>Records a chunking step: the document in, the chunks out (a span with <c>rag_event_type: chunking</c>).</summary>
    /// <param name="inputDocument">
    /// The document chunked: its path, URL or id (LastMile's <c>input_filepath</c>), or any JSON-serializable description
    /// of it, such as <c>new { id = "doc-7", name = "handbook.pdf" }</c>; <c>null</c> for none.
    /// </param>
    /// <param name="outputChunks">The chunks produced.</param>
    /// <param name="metadata">Other information to record (the chunk size, the mime type, …).</param>
    /// <param name="name">The span's name; <c>chunking</c> when not given.</param>
    /// <example><code>trace.LogChunkingEvent("handbook.pdf", [new Chunk(id: "c1", content: "PandaProbe traces LLM calls.")]);</code></example>
    public void LogChunkingEvent(object? inputDocument, IReadOnlyList<Chunk> outputChunks,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "chunking", name, SpanType.Other, inputDocument, RagEvents.Shape(outputChunks), metadata);

    /// <summary>Records an embedding step: the data embedded in, the vectors out (an EMBEDDING span).</summary>
    public void LogEmbeddingEvent(IReadOnlyList<IReadOnlyList<float>> embeddings, object? data = null,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "embedding", name, SpanType.Embedding, data, embeddings, metadata);

    /// <summary>Records a query rewrite: the query in, the rewritten queries out.</summary>
    public void LogQueryRewriteEvent(string query, IReadOnlyList<string> rewrittenQueries,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "query_rewrite", name, SpanType.Chain, query, rewrittenQueries, metadata);

    /// <summary>Records a vector store lookup: the query in, the scored chunks out (a RETRIEVER span).</summary>
    /// <example><code>trace.LogRetrievalEvent("what is PandaProbe?", [new Chunk(id: "c1", content: "...", retrievalScore: 0.82)]);</code></example>
    public void LogRetrievalEvent(string query, IReadOnlyList<Chunk> retrievedData,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "retrieval", name, SpanType.Retriever, query, RagEvents.Shape(retrievedData), metadata);

    /// <summary>Records a rerank: the retrieved chunks in, the reranked chunks (in order) out.</summary>
    public void LogRerankEvent(IReadOnlyList<Chunk> retrieved, IReadOnlyList<Chunk> reranked,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "rerank", name, SpanType.Retriever, RagEvents.Shape(retrieved), RagEvents.Shape(reranked), metadata);

    /// <summary>Records a tool invocation: the arguments in, the result out (a TOOL span named after the tool).</summary>
    public void LogToolCallEvent(string tool, IReadOnlyDictionary<string, object?> toolArgs, object? toolResult,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "tool_call", name ?? tool, SpanType.Tool, toolArgs, toolResult, metadata);

    /// <summary>Records the query and response of the RAG flow (with the system prompt in the input, when given).</summary>
    public void LogQueryEvent(string query, object? response, string? systemPrompt = null,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "query", name, SpanType.Chain,
            systemPrompt is null ? query : new Dictionary<string, object?> { ["query"] = query, ["system_prompt"] = systemPrompt },
            response, metadata);

    /// <summary>
    /// Records one RAG event as a span that starts and ends now: a child of <paramref name="parent"/>, or of the current
    /// span of this trace; it does not become the current span.
    /// </summary>
    internal void RagSpan(SpanContext? parent, string eventType, string? name, SpanType kind, object? input, object? output,
        IReadOnlyDictionary<string, object?>? metadata)
    {
        if (client is null) return;
        var meta = new Dictionary<string, object?>(metadata ?? new Dictionary<string, object?>()) { [RagEventTypeKey] = eventType };
        var span = Span(string.IsNullOrWhiteSpace(name) ? eventType : name, kind, null, meta, parent, makeCurrent: false);
        span.SetInput(input);
        span.SetOutput(output);
        span.End();
    }

    SpanContext? CurrentSpanOrNull() => AmbientScope.InnermostSpan(this);
}
