namespace PandaProbe.Rag;

/// <summary>A chunk returned by a retrieval or rerank step, with its score.</summary>
/// <example><code>var hit = new RetrievedChunk(id: "c1", content: "PandaProbe traces LLM calls.", retrievalScore: 0.82);</code></example>
public sealed record RetrievedChunk
{
    /// <summary>Creates the value.</summary>
    /// <param name="id">The chunk's id.</param>
    /// <param name="content">The chunk's text, if it should be recorded.</param>
    /// <param name="retrievalScore">The retriever's (or reranker's) score for the chunk; higher is more relevant.</param>
    /// <param name="extras">Any other fields to record with the chunk (its document id, rank, …).</param>
    public RetrievedChunk(string id, string? content = null, double retrievalScore = 0, IReadOnlyDictionary<string, object?>? extras = null)
    {
        Id = id ?? string.Empty;
        Content = content;
        RetrievalScore = retrievalScore;
        Extras = extras;
    }

    /// <summary>The chunk's id (never null; a null id is recorded as empty).</summary>
    public string Id { get; init; }

    /// <summary>The chunk's text, if recorded.</summary>
    public string? Content { get; init; }

    /// <summary>The retrieval score.</summary>
    public double RetrievalScore { get; init; }

    /// <summary>Any other fields to record.</summary>
    public IReadOnlyDictionary<string, object?>? Extras { get; init; }
}
