using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// Traced chat clients that call other traced chat clients directly: every client's call is an LLM span of its own,
/// while a client wrapped twice is still one LLM span.
/// </summary>
public class ChatClientNestingTests
{
    /// <summary>A router that asks a draft model, then a review model, and answers with the review.</summary>
    sealed class Router(IChatClient draft, IChatClient review) : IChatClient
    {
        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            var first = await draft.GetResponseAsync(messages, options, cancellationToken);
            return await review.GetResponseAsync(first.Text, options, cancellationToken);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
            ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    static ChatResponse Answer(string text) => new(new ChatMessage(ChatRole.Assistant, text))
    {
        Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1, TotalTokenCount = 4 },
    };

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    [Fact]
    public async Task A_router_calling_two_traced_clients_records_both_calls_beneath_its_own()
    {
        var (client, exporter) = Clients.InMemory();
        var router = new Router(new FakeChatClient { Response = Answer("draft") }.WithPandaProbe(client, "draft"),
            new FakeChatClient { Response = Answer("final") }.WithPandaProbe(client, "review")).WithPandaProbe(client, "router");

        using (client.StartTrace("turn"))
            Assert.Equal("final", (await router.GetResponseAsync("Hi")).Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["router", "draft", "review"], spans.Select(s => s.Str("name")));
        Assert.All(spans, s => Assert.Equal("LLM", s.Str("kind")));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
        Assert.Equal(spans[0].Str("span_id"), spans[2].Str("parent_span_id"));
    }

    [Fact]
    public async Task A_client_wrapped_twice_records_one_LLM_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Response = Answer("Hello") };
        var chat = model.WithPandaProbe(client).WithPandaProbe(client);
        var built = new ChatClientBuilder(model).UsePandaProbe(client).UseOpenTelemetry().UsePandaProbe(client).Build();

        await chat.GetResponseAsync("Hi");
        await built.GetResponseAsync("Hi");

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(2, traces.Count);
        Assert.All(traces, t => Assert.Equal(4, Clients.SingleSpan(t).GetProperty("token_usage").GetProperty("total_tokens").GetInt64()));
    }

    [Fact]
    public async Task An_embedding_generator_wrapped_twice_records_one_EMBEDDING_span()
    {
        var (client, exporter) = Clients.InMemory();
        var generator = new FakeEmbeddingGenerator().WithPandaProbe(client).WithPandaProbe(client);

        await generator.GenerateAsync(["a"]);

        Assert.Equal("EMBEDDING", Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter))).Str("kind"));
    }
}
