// PandaProbe QuickStart: a small scripted travel agent (a fake LLM and fake tools, no network).
// With no PANDAPROBE_API_KEY/PROJECT_NAME set, traces go to ./pandaprobe-traces.jsonl (announced on stderr);
// this sample also prints each completed trace as a span tree with durations, tokens and cost.
using PandaProbe;
using QuickStart;

using var printer = Probe.CompletedTraces.Subscribe(trace => trace.PrintTree());

var agent = new TravelAgent(new FakeLlm(), new FakeTools());
using (Probe.Session("quickstart-session-1"))
using (Probe.User("user-ada"))
{
    await agent.AnswerAsync("What's the weather in Lisbon, and what is 100 EUR in USD?");
    try
    {
        await agent.AnswerAsync("Book me a table in Atlantis.");
    }
    catch (InvalidOperationException ex)
    {
        Console.WriteLine($"(the agent failed as scripted: {ex.Message})");
    }
}

var result = await Probe.ShutdownAsync(TimeSpan.FromSeconds(10));
Console.WriteLine($"exported {result.Exported} traces, dropped {result.Dropped}, pending {result.Pending}");
