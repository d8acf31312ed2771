namespace QuickStart;

record ToolCall(string Tool, string Argument);

record LlmReply(string Text, long PromptTokens, long CompletionTokens, DateTimeOffset FirstTokenAt, IReadOnlyList<ToolCall> ToolCalls);

/// <summary>A scripted model: no network, deterministic answers, a little latency.</summary>
sealed class FakeLlm
{
    public async Task<LlmReply> CompleteAsync(string step, string prompt)
    {
        await Task.Delay(40);
        var firstToken = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        if (step == "plan")
        {
            var calls = new List<ToolCall>();
            if (prompt.Contains("weather", StringComparison.OrdinalIgnoreCase)) calls.Add(new ToolCall("weather", "Lisbon"));
            if (prompt.Contains("EUR", StringComparison.Ordinal)) calls.Add(new ToolCall("currency", "100 EUR->USD"));
            if (prompt.Contains("Atlantis", StringComparison.Ordinal)) calls.Add(new ToolCall("booking", "Atlantis"));
            return new LlmReply($"Calling {calls.Count} tool(s).", 180, 24, firstToken, calls);
        }
        return new LlmReply("Lisbon is sunny at 24°C, and 100 EUR is about 108 USD.", 260, 38, firstToken, []);
    }
}

/// <summary>Scripted tools; booking fails so the sample shows an ERROR trace.</summary>
sealed class FakeTools
{
    public async Task<string> RunAsync(ToolCall call)
    {
        await Task.Delay(call.Tool == "weather" ? 30 : 15);
        return call.Tool switch
        {
            "weather" => "sunny, 24°C",
            "currency" => "108.20 USD",
            _ => throw new InvalidOperationException($"no restaurant found in {call.Argument}"),
        };
    }
}
