using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>Embedding generations through <see cref="PandaProbeEmbeddingGenerator"/>.</summary>
public class EmbeddingGeneratorTests
{
    [Fact]
    public async Task Without_an_open_trace_a_standalone_trace_holds_one_EMBEDDING_span_with_usage_and_cost()
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeEmbeddingGenerator
        {
            Dimensions = 4,
            ModelId = "text-embedding-3-small",
            Usage = new UsageDetails { InputTokenCount = 1000, TotalTokenCount = 1000 },
            Metadata = new EmbeddingGeneratorMetadata("openai"),
        };
        var generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(fake).UsePandaProbe(client).Build();

        var result = await generator.GenerateAsync(["alpha", "beta"], new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" });

        Assert.Equal(2, result.Count);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("embedding", trace.Str("name"));
        Assert.Equal("""["alpha","beta"]""", trace.GetProperty("input").Raw());
        var span = Clients.SingleSpan(trace);
        Assert.Equal("EMBEDDING", span.Str("kind"));
        Assert.Equal("OK", span.Str("status"));
        Assert.Equal("text-embedding-3-small", span.Str("model"));
        Assert.Equal("""["alpha","beta"]""", span.GetProperty("input").Raw());
        Assert.Equal("""{"count":2,"dimensions":4}""", span.GetProperty("output").Raw());
        var metadata = span.GetProperty("metadata");
        Assert.Equal(2, metadata.GetProperty("input_count").GetInt32());
        Assert.Equal(4, metadata.GetProperty("dimensions").GetInt32());
        Assert.Equal("openai", metadata.Str("provider"));
        Assert.Equal(1000, span.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(0.00002, span.GetProperty("cost").GetProperty("total").GetDouble(), 9);
    }

    [Fact]
    public async Task Inside_an_open_trace_the_generation_is_a_child_of_the_current_span()
    {
        var (client, exporter) = Clients.InMemory();
        var generator = new FakeEmbeddingGenerator().WithPandaProbe(client, spanName: "embed-query");

        Guid retrieverId;
        using (var trace = client.StartTrace("rag"))
        using (var retriever = trace.Span("retrieve", SpanType.Retriever))
        {
            retrieverId = retriever.SpanId;
            await generator.GenerateAsync(["question"]);
        }

        var exported = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var span = Clients.SpanNamed(exported, "embed-query");
        Assert.Equal("EMBEDDING", span.Str("kind"));
        Assert.Equal(retrieverId.ToString(), span.Str("parent_span_id"));
    }

    [Fact]
    public async Task A_failing_generation_records_the_error_and_rethrows_it_unchanged()
    {
        var (client, exporter) = Clients.InMemory();
        var boom = new HttpRequestException("rate limited");
        var generator = new FakeEmbeddingGenerator { Error = boom }.WithPandaProbe(client);

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => generator.GenerateAsync(["x"]));

        Assert.Same(boom, thrown);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("ERROR", trace.Str("status"));
        var span = Clients.SingleSpan(trace);
        Assert.Equal("ERROR", span.Str("status"));
        Assert.Equal("rate limited", span.Str("error"));
    }

    [Fact]
    public async Task Inputs_follow_the_clients_content_capture()
    {
        var (client, exporter) = Clients.InMemory(o => o.ContentMode = ContentMode.MetadataOnly);
        var generator = new FakeEmbeddingGenerator().WithPandaProbe(client);

        await generator.GenerateAsync(["secret text"]);

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.DoesNotContain("secret text", span.Raw());
        Assert.Equal(1, span.GetProperty("metadata").GetProperty("input_count").GetInt32());
    }
}
