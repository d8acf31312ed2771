namespace PandaProbe.Rag;

/// <summary>A source document of a RAG pipeline, as recorded by the LastMile-style RAG events (chunking, ingestion).</summary>
/// <example><code>var doc = new Document(id: "doc-7", name: "handbook.pdf");</code></example>
public sealed record Document
{
    /// <summary>Creates the value.</summary>
    /// <param name="id">The document's id in the application's store.</param>
    /// <param name="name">A display name (a title or file name), if any.</param>
    /// <param name="content">The content, or a JSON-serializable description of it, if it should be recorded.</param>
    /// <param name="extras">Any other fields to record with the document.</param>
    public Document(string id, string? name = null, object? content = null, IReadOnlyDictionary<string, object?>? extras = null)
    {
        Id = id ?? string.Empty;
        Name = name;
        Content = content;
        Extras = extras;
    }

    /// <summary>The document's id (never null; a null id is recorded as empty).</summary>
    public string Id { get; init; }

    /// <summary>A display name, if any.</summary>
    public string? Name { get; init; }

    /// <summary>The content or a description of it, if recorded.</summary>
    public object? Content { get; init; }

    /// <summary>Any other fields to record.</summary>
    public IReadOnlyDictionary<string, object?>? Extras { get; init; }
}
