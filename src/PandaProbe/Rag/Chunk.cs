namespace PandaProbe.Rag;

/// <summary>A chunk of a document, as produced by chunking and recorded by the LastMile-style RAG events.</summary>
/// <example><code>var chunk = new Chunk(id: "c1", content: "PandaProbe traces LLM calls.");</code></example>
public sealed record Chunk
{
    /// <summary>Creates the value.</summary>
    /// <param name="id">The chunk's id.</param>
    /// <param name="content">The chunk's text, if it should be recorded.</param>
    /// <param name="embedding">The chunk's embedding vector, if it should be recorded.</param>
    /// <param name="extras">Any other fields to record with the chunk (its document id, offsets, …).</param>
    public Chunk(string id, string? content = null, IReadOnlyList<float>? embedding = null, IReadOnlyDictionary<string, object?>? extras = null)
    {
        Id = id ?? string.Empty;
        Content = content;
        Embedding = embedding;
        Extras = extras;
    }

    /// <summary>The chunk's id (never null; a null id is recorded as empty).</summary>
    public string Id { get; init; }

    /// <summary>The chunk's text, if recorded.</summary>
    public string? Content { get; init; }

    /// <summary>The chunk's embedding vector, if recorded.</summary>
    public IReadOnlyList<float>? Embedding { get; init; }

    /// <summary>Any other fields to record.</summary>
    public IReadOnlyDictionary<string, object?>? Extras { get; init; }
}
