using PandaProbe.Rag;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class RagTypesTests
{
    [Fact]
    public void RetrievedChunk_takes_the_reference_named_arguments()
    {
        var hit = new RetrievedChunk(id: "c1", content: "...", retrievalScore: 0.82);
        Assert.Equal(("c1", "...", 0.82), (hit.Id, hit.Content, hit.RetrievalScore));
        Assert.Null(hit.Extras);
        Assert.Equal(hit, new RetrievedChunk("c1", "...", 0.82));
    }

    [Fact]
    public void Chunk_and_Document_take_named_arguments()
    {
        float[] vector = [0.1f, 0.2f];
        var chunk = new Chunk(id: "c2", content: "text", embedding: vector);
        Assert.Equal(("c2", "text"), (chunk.Id, chunk.Content));
        Assert.Same(vector, chunk.Embedding);

        var extras = new Dictionary<string, object?> { ["pages"] = 12 };
        var doc = new Document(id: "d1", name: "handbook.pdf", content: new { size = 3 }, extras: extras);
        Assert.Equal(("d1", "handbook.pdf"), (doc.Id, doc.Name));
        Assert.Same(extras, doc.Extras);
    }

    [Fact]
    public void A_null_id_becomes_empty()
    {
        Assert.Equal("", new RetrievedChunk(null!).Id);
        Assert.Equal("", new Chunk(null!).Id);
        Assert.Equal("", new Document(null!).Id);
    }
}
