using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// One <c>UsePandaProbe()</c> anywhere in an embedding generator's pipeline (outside or inside OpenTelemetry's layer,
/// whose activities are ingested, or twice) records each generation once; a generation inside a tool of a traced tool
/// loop is a child of that TOOL span.
/// </summary>
[Collection(ProcessWide.Name)]
public class EmbeddingOneLayerTests
{
    public enum Layers { PandaProbeOutside, PandaProbeInside, PandaProbeTwice }

    static IEmbeddingGenerator<string, Embedding<float>> Pipeline(FakeEmbeddingGenerator fake, PandaProbeClient client, Layers layers)
    {
        var builder = new EmbeddingGeneratorBuilder<string, Embedding<float>>(fake);
        if (layers != Layers.PandaProbeInside) builder.UsePandaProbe(client);
        builder.UseOpenTelemetry();
        if (layers != Layers.PandaProbeOutside) builder.UsePandaProbe(client);
        return builder.Build();
    }

    [Theory]
    [InlineData(Layers.PandaProbeOutside)]
    [InlineData(Layers.PandaProbeInside)]
    [InlineData(Layers.PandaProbeTwice)]
    public async Task Each_generation_is_one_EMBEDDING_span_wherever_the_layer_sits(Layers layers)
    {
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeEmbeddingGenerator { Dimensions = 4, ModelId = "text-embedding-3-small", Usage = new UsageDetails { InputTokenCount = 7 } };
        using (client.IngestGenAiActivities())
        {
            var generator = Pipeline(fake, client, layers);
            await generator.GenerateAsync(["alpha", "beta"]);
            await generator.GenerateAsync(["gamma"]);
        }

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(2, traces.Count);
        Assert.All(traces, trace =>
        {
            var span = Clients.SingleSpan(trace);
            Assert.Equal("EMBEDDING", span.Str("kind"));
            Assert.Equal(7, span.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        });
        Assert.Contains(traces, t => Clients.SingleSpan(t).GetProperty("input").Raw() == """["alpha","beta"]""");
        Assert.Contains(traces, t => Clients.SingleSpan(t).GetProperty("input").Raw() == """["gamma"]""");
    }

    [Fact]
    public async Task A_generation_inside_a_tool_of_a_one_layer_tool_loop_is_a_child_of_its_TOOL_span()
    {
        var (client, exporter) = Clients.InMemory();
        var embeddings = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new FakeEmbeddingGenerator()).UsePandaProbe(client).Build();
        var search = AIFunctionFactory.Create(async (string query) =>
        {
            await embeddings.GenerateAsync([query]);
            return "3 documents";
        }, "search");
        var model = new FakeChatClient();
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "search", new Dictionary<string, object?> { ["query"] = "pandas" })])));
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Found 3.")));
        var chat = new ChatClientBuilder(model).UseFunctionInvocation().UsePandaProbe(client).Build();

        await chat.GetResponseAsync("Find pandas", new ChatOptions { Tools = [search] });

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var tool = Clients.SpanNamed(trace, "search");
        var embedding = Clients.SpanNamed(trace, "embedding");
        Assert.Equal(tool.Str("span_id"), embedding.Str("parent_span_id"));
        Assert.Equal("""["pandas"]""", embedding.GetProperty("input").Raw());
        Assert.Equal(4, trace.GetProperty("spans").GetArrayLength());
    }
}
