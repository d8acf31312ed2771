using PandaProbe.Rag;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class RagTypesTests
{
    [Fact]
    public void A_retrieved_chunk_is_a_chunk_with_its_score()
    {
        var hit = new Chunk(id: "c1", content: "...", retrievalScore: 0.82);
        Assert.Equal(("c1", "...", (double?)0.82), (hit.Id, hit.Content, hit.RetrievalScore));
        Assert.Null(hit.Extras);
        Assert.Null(hit.Embedding);
        Assert.Equal(hit, new Chunk("c1", "...", retrievalScore: 0.82));
        Assert.Null(new Chunk("c2").RetrievalScore);   // a chunk that was not retrieved has no score
    }

    [Fact]
    public void Chunk_takes_named_arguments()
    {
        float[] vector = [0.1f, 0.2f];
        var extras = new Dictionary<string, object?> { ["document_id"] = "d1" };
        var chunk = new Chunk(id: "c2", content: "text", embedding: vector, extras: extras);
        Assert.Equal(("c2", "text"), (chunk.Id, chunk.Content));
        Assert.Same(vector, chunk.Embedding);
        Assert.Same(extras, chunk.Extras);
    }

    [Fact]
    public void A_null_id_becomes_empty()
    {
        Assert.Equal("", new Chunk(null!).Id);
    }
}
