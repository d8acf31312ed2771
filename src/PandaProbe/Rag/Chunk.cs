namespace PandaProbe.Rag;

/// <summary>
/// A chunk of a document, as recorded by the LastMile-style RAG events: produced by chunking
/// (<see cref="TraceContext.LogChunkingEvent"/>), or returned by a retrieval or rerank step with its
/// <see cref="RetrievalScore"/> (LastMile's <c>RetrievedChunk</c>).
/// </summary>
/// <example><code>
/// var chunk = new Chunk(id: "c1", content: "PandaProbe traces LLM calls.");
/// var hit = new Chunk(id: "c1", content: "PandaProbe traces LLM calls.", retrievalScore: 0.82);
/// </code></example>
public sealed record Chunk
{
    /// <summary>Creates the value.</summary>
    /// <param name="id">The chunk's id.</param>
    /// <param name="content">The chunk's text, if it should be recorded.</param>
    /// <param name="embedding">The chunk's embedding vector, if it should be recorded.</param>
    /// <param name="extras">Any other fields to record with the chunk (its document id, offsets, rank, …).</param>
    /// <param name="retrievalScore">
    /// For a chunk returned by a retrieval or rerank step, the retriever's (or reranker's) score; higher is more
    /// relevant. <c>null</c> for a chunk that was not retrieved.
    /// </param>
    public Chunk(string id, string? content = null, IReadOnlyList<float>? embedding = null,
        IReadOnlyDictionary<string, object?>? extras = null, double? retrievalScore = null)
    {
        Id = id ?? string.Empty;
        Content = content;
        Embedding = embedding;
        Extras = extras;
        RetrievalScore = retrievalScore;
    }

    /// <summary>The chunk's id (never null; a null id is recorded as empty).</summary>
    public string Id { get; init; }

    /// <summary>The chunk's text, if recorded.</summary>
    public string? Content { get; init; }

    /// <summary>The chunk's embedding vector, if recorded.</summary>
    public IReadOnlyList<float>? Embedding { get; init; }

    /// <summary>Any other fields to record.</summary>
    public IReadOnlyDictionary<string, object?>? Extras { get; init; }

    /// <summary>The retrieval (or rerank) score of a retrieved chunk, recorded as <c>retrieval_score</c>; <c>null</c> if not retrieved.</summary>
    public double? RetrievalScore { get; init; }
}
