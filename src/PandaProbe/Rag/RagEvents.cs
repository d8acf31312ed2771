namespace PandaProbe.Rag;

/// <summary>Maps the RAG value types to the JSON-ready shapes recorded as span inputs and outputs (snake_case keys).</summary>
internal static class RagEvents
{
    public static Dictionary<string, object?>? Shape(Document? d) => d is null ? null : With(new()
    {
        ["id"] = d.Id, ["name"] = d.Name, ["content"] = d.Content,
    }, d.Extras);

    public static Dictionary<string, object?> Shape(Chunk c)
    {
        var shape = new Dictionary<string, object?> { ["id"] = c.Id, ["content"] = c.Content };
        if (c.Embedding is not null) shape["embedding"] = c.Embedding;
        return With(shape, c.Extras);
    }

    public static Dictionary<string, object?> Shape(RetrievedChunk c) => With(new()
    {
        ["id"] = c.Id, ["content"] = c.Content, ["retrieval_score"] = c.RetrievalScore,
    }, c.Extras);

    public static List<Dictionary<string, object?>> Shape(IEnumerable<Chunk>? chunks) =>
        (chunks ?? []).Where(c => c is not null).Select(Shape).ToList();

    public static List<Dictionary<string, object?>> Shape(IEnumerable<RetrievedChunk>? chunks) =>
        (chunks ?? []).Where(c => c is not null).Select(Shape).ToList();

    static Dictionary<string, object?> With(Dictionary<string, object?> shape, IReadOnlyDictionary<string, object?>? extras)
    {
        if (extras is not null) shape["extras"] = extras;
        return shape;
    }
}
