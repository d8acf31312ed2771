using PandaProbe.Exporters;
using PandaProbe.Model;

namespace PandaProbe.Cli.Tests.View;

/// <summary>Trace files written by the real SDK (its file exporter) for the <c>view</c> tests.</summary>
static class SampleTraces
{
    /// <summary>The LLM span's model.</summary>
    public const string Model = "gpt-4o-mini";

    /// <summary>The text of the LLM span's user message.</summary>
    public const string UserMessage = "Where is my parcel 42?";

    /// <summary>
    /// Three traces: "support-chat" (an agent span, an LLM span with messages, tokens, cost, parameters and a first
    /// token time, and a tool span that fails with "boom"), "billing-question" (another model) and "nightly-batch".
    /// </summary>
    public static async Task<string> WriteAsync(string dir)
    {
        var path = Path.Combine(dir, "traces.jsonl");
        await using var client = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(path) } });

        var chat = client.StartTrace("support-chat",
            input: new { messages = new[] { new { role = "user", content = UserMessage } } }, sessionId: "session-a", userId: "alice");
        using (var agent = chat.Span("support-agent", SpanType.Agent))
        {
            using (var llm = chat.Span("answer", SpanType.Llm, model: Model))
            {
                llm.SetInput(new
                {
                    messages = new[]
                    {
                        new { role = "system", content = "You are a helpful support agent." },
                        new { role = "user", content = UserMessage },
                    },
                });
                llm.SetModelParameters(new Dictionary<string, object?> { ["temperature"] = 0.2, ["max_tokens"] = 256 });
                await Task.Delay(5);
                llm.SetCompletionStartTime(DateTimeOffset.UtcNow);
                await Task.Delay(5);
                llm.SetOutput(new[] { new { role = "assistant", content = "It is on its way." } });
                llm.SetTokenUsage(120, 30, new Dictionary<string, long> { ["cached_tokens"] = 40 });
                llm.SetCost(0.0025, new Dictionary<string, double> { ["input"] = 0.0015, ["output"] = 0.001 });
            }
            using (var tool = chat.Span("track-parcel", SpanType.Tool))
            {
                tool.SetInput(new { parcel = 42 });
                tool.SetError("boom");
            }
            agent.SetOutput("It is on its way.");
        }
        chat.SetOutput("It is on its way.");
        chat.End();

        var billing = client.StartTrace("billing-question", input: "Why was I charged twice?", sessionId: "session-b", userId: "bob");
        using (var llm = billing.Span("answer", SpanType.Llm, model: "claude-sonnet"))
        {
            llm.SetTokenUsage(50, 10);
            llm.SetCost(0.001);
        }
        billing.End();

        var batch = client.StartTrace("nightly-batch", sessionId: "session-b");
        using (batch.Span("fetch-documents", SpanType.Retriever)) { }
        batch.End();

        await client.FlushAsync(TimeSpan.FromSeconds(10));
        return path;
    }
}
