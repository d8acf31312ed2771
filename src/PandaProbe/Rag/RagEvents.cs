namespace PandaProbe.Rag;

/// <summary>Maps the RAG chunks to the JSON-ready shapes recorded as span inputs and outputs (snake_case keys).</summary>
internal static class RagEvents
{
    public static Dictionary<string, object?> Shape(Chunk c)
    {
        var shape = new Dictionary<string, object?> { ["id"] = c.Id, ["content"] = c.Content };
        if (c.Embedding is not null) shape["embedding"] = c.Embedding;
        if (c.RetrievalScore is { } score) shape["retrieval_score"] = score;
        return With(shape, c.Extras);
    }

    public static List<Dictionary<string, object?>> Shape(IEnumerable<Chunk>? chunks) =>
        (chunks ?? []).Where(c => c is not null).Select(Shape).ToList();

    static Dictionary<string, object?> With(Dictionary<string, object?> shape, IReadOnlyDictionary<string, object?>? extras)
    {
        if (extras is not null) shape["extras"] = extras;
        return shape;
    }
}
