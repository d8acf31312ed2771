using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Agents;

/// <summary>
/// Traced agents that call other traced agents directly: every agent's run is an AGENT span of its own, while an
/// agent wrapped twice is still one AGENT span.
/// </summary>
public class AgentNestingTests
{
    /// <summary>An orchestrator that asks two sub-agents in turn and answers with what they said.</summary>
    sealed class Orchestrator(AIAgent first, AIAgent second)
        : DelegatingAIAgent(new ChatClientAgent(new FakeChatClient(), name: "orchestrator"))
    {
        protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null,
            AgentRunOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var a = await first.RunAsync(list, cancellationToken: cancellationToken);
            var b = await second.RunAsync(list, cancellationToken: cancellationToken);
            return new AgentResponse(new ChatMessage(ChatRole.Assistant, $"{a.Text} / {b.Text}"));
        }
    }

    static AIAgent TracedSubAgent(PandaProbeClient client, string name, string answer) =>
        new ChatClientAgent(new FakeChatClient
        {
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
            {
                Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1, TotalTokenCount = 4 },
            },
        }.WithPandaProbe(client), name: name).WithPandaProbe(client);

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    [Fact]
    public async Task An_orchestrator_with_untraced_models_keeps_its_own_tokens_beside_a_traced_sub_agent_tool()
    {
        var (client, exporter) = Clients.InMemory();
        var tool = TracedSubAgent(client, "helper", "42").AsAIFunction();
        var model = new FakeChatClient();   // the orchestrator's own model calls are not traced
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", tool.Name, new Dictionary<string, object?> { ["query"] = "answer?" })]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
        });
        model.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "It is 42."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5, TotalTokenCount = 25 },
        });
        var orchestrator = new ChatClientAgent(model, name: "orchestrator", tools: [tool]).WithPandaProbe(client);

        Assert.Equal("It is 42.", (await orchestrator.RunAsync("What is the answer?")).Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var root = spans.Single(s => s.Str("name") == "orchestrator");
        // The sub-agent's model call (3 + 1 tokens) is on its own LLM span; the orchestrator's two calls (30 + 7) are
        // in no span beneath, so they stay on the orchestrator's span, and the totals count every token once.
        Assert.Equal(30, root.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(7, root.GetProperty("token_usage").GetProperty("completion_tokens").GetInt64());
        Assert.Equal(33, spans.Where(s => s.Has("token_usage") && s.GetProperty("token_usage").ValueKind == JsonValueKind.Object)
            .Sum(s => s.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64()));
    }

    [Fact]
    public async Task An_orchestrator_calling_two_traced_agents_records_each_run_beneath_its_own()
    {
        var (client, exporter) = Clients.InMemory();
        var orchestrator = new Orchestrator(TracedSubAgent(client, "a", "A says hi"), TracedSubAgent(client, "b", "B says hi"))
            .WithPandaProbe(client);

        Assert.Equal("A says hi / B says hi", (await orchestrator.RunAsync("Hi")).Text);

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["orchestrator:AGENT", "a:AGENT", "chat:LLM", "b:AGENT", "chat:LLM"],
            spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        var (root, a, llmA, b, llmB) = (spans[0], spans[1], spans[2], spans[3], spans[4]);
        Assert.Equal(root.Str("span_id"), a.Str("parent_span_id"));
        Assert.Equal(root.Str("span_id"), b.Str("parent_span_id"));
        Assert.Equal(a.Str("span_id"), llmA.Str("parent_span_id"));
        Assert.Equal(b.Str("span_id"), llmB.Str("parent_span_id"));
        Assert.All(spans.Where(s => s.Str("kind") == "AGENT"),
            s => Assert.False(s.Has("token_usage") && s.GetProperty("token_usage").ValueKind == JsonValueKind.Object));
    }

    [Fact]
    public async Task An_agent_wrapped_twice_records_one_AGENT_span()
    {
        var (client, exporter) = Clients.InMemory();
        var model = new FakeChatClient { Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hello")) };
        var agent = new ChatClientAgent(model.WithPandaProbe(client), name: "greeter").WithPandaProbe(client).WithPandaProbe(client);
        var built = new ChatClientAgent(model.WithPandaProbe(client), name: "greeter").AsBuilder()
            .UsePandaProbe(client).UsePandaProbe(client).Build();

        await agent.RunAsync("Hi");
        await built.RunAsync("Hi");

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(2, traces.Count);
        Assert.All(traces, t => Assert.Equal(["greeter:AGENT", "chat:LLM"], Spans(t).Select(s => $"{s.Str("name")}:{s.Str("kind")}")));
    }

    [Fact]
    public async Task Sub_agents_with_untraced_models_carry_their_tokens_and_the_orchestrator_keeps_the_sum_as_metadata()
    {
        var (client, exporter) = Clients.InMemory();
        static AIAgent Untraced(PandaProbeClient client, string name) => new ChatClientAgent(new FakeChatClient
        {
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, name))
            {
                ModelId = "gpt-4o-mini",
                Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1, TotalTokenCount = 4 },
            },
        }, name: name).WithPandaProbe(client);
        var orchestrator = new SummingOrchestrator(Untraced(client, "a"), Untraced(client, "b")).WithPandaProbe(client);

        await orchestrator.RunAsync("Hi");

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["orchestrator:AGENT", "a:AGENT", "b:AGENT"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.All(spans.Skip(1), s => Assert.Equal(3, s.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64()));
        Assert.False(spans[0].Has("token_usage") && spans[0].GetProperty("token_usage").ValueKind == JsonValueKind.Object);
        Assert.Equal(6, spans[0].GetProperty("metadata").GetProperty("run_token_usage").GetProperty("prompt_tokens").GetInt64());
    }

    /// <summary>An orchestrator that reports the sum of its sub-agents' usage as its own.</summary>
    sealed class SummingOrchestrator(AIAgent first, AIAgent second)
        : DelegatingAIAgent(new ChatClientAgent(new FakeChatClient(), name: "orchestrator"))
    {
        protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null,
            AgentRunOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var a = await first.RunAsync(list, cancellationToken: cancellationToken);
            var b = await second.RunAsync(list, cancellationToken: cancellationToken);
            var usage = new UsageDetails();
            usage.Add(a.Usage!);
            usage.Add(b.Usage!);
            return new AgentResponse(new ChatMessage(ChatRole.Assistant, $"{a.Text} {b.Text}")) { Usage = usage };
        }
    }
}
