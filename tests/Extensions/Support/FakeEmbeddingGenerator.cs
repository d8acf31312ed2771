using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>A scripted embedding generator: one vector of <see cref="Dimensions"/> per input, or <see cref="Error"/>.</summary>
public sealed class FakeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Dimensions { get; set; } = 3;
    public string? ModelId { get; set; }
    public UsageDetails? Usage { get; set; }
    public Exception? Error { get; set; }
    public EmbeddingGeneratorMetadata? Metadata { get; set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (Error is not null) return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(Error);
        var result = new GeneratedEmbeddings<Embedding<float>>(
            values.Select(_ => new Embedding<float>(new float[Dimensions]) { ModelId = ModelId }))
        {
            Usage = Usage,
        };
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() { }
}
