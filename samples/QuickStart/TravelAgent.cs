using PandaProbe.Model;
using PandaProbe;

namespace QuickStart;

/// <summary>A two-step agent: plan with the LLM, run the tools it asks for (in parallel), then answer.</summary>
sealed class TravelAgent(FakeLlm llm, FakeTools tools)
{
    public Task<string> AnswerAsync(string question) =>
        Probe.TraceAsync("travel-agent", async trace =>
        {
            trace.SetInput(Messages.User(question));
            trace.SetMetadata(new Dictionary<string, object?> { ["agent_version"] = "1.2.0" });

            // The delegate form marks the agent span ERROR if a tool fails, and rethrows.
            return await trace.SpanAsync("agent", SpanType.Agent, async agent =>
            {
                var plan = await CallLlmAsync(trace, "plan", question);

                var results = await Task.WhenAll(plan.ToolCalls.Select(call =>
                    trace.SpanAsync($"tool:{call.Tool}", SpanType.Tool, async span =>
                    {
                        span.SetInput(call);
                        var output = await tools.RunAsync(call);
                        span.SetOutput(output);
                        return output;
                    })));

                var answer = await CallLlmAsync(trace, "answer", $"{question}\nTool results: {string.Join("; ", results)}");
                agent.SetOutput(answer.Text);
                trace.SetOutput(Messages.Assistant(answer.Text));
                return answer.Text;
            });
        });

    async Task<LlmReply> CallLlmAsync(TraceContext trace, string step, string prompt)
    {
        using var span = trace.Span($"llm:{step}", SpanType.Llm, model: "gpt-4o");
        span.SetInput(Messages.User(prompt));
        span.SetModelParameters(new Dictionary<string, object?> { ["temperature"] = 0.2, ["max_tokens"] = 400 });
        var reply = await llm.CompleteAsync(step, prompt);
        span.SetCompletionStartTime(reply.FirstTokenAt);
        span.SetOutput(Messages.Assistant(reply.Text));
        span.SetTokenUsage(promptTokens: reply.PromptTokens, completionTokens: reply.CompletionTokens);
        span.SetCost(reply.PromptTokens * 2.50 / 1_000_000 + reply.CompletionTokens * 10.0 / 1_000_000);
        return reply;
    }
}

static class Messages
{
    public static object User(string content) => new { messages = new[] { new { role = "user", content } } };
    public static object Assistant(string content) => new { messages = new[] { new { role = "assistant", content } } };
}
