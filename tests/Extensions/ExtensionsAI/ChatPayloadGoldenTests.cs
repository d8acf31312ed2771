using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// The chat middleware's recorded messages do not move when their capture is made cheaper (issue 22: written straight
/// to UTF-8 instead of through a JSON node tree): the inputs and outputs of a fixed pseudo-random set of conversations
/// (every kind of content part, authors, instructions, tool calls and results, odd characters), on the span and on the
/// standalone trace, hash to what commit c7b1142 recorded running this same file.
/// </summary>
public class ChatPayloadGoldenTests
{
    const string Golden = "EBBFE11377D9FE9B30162C69CCDB9F03D42B1A9FB874DFB7643E024FBF57FDED";

    [Fact]
    public async Task Recorded_messages_are_the_bytes_they_always_were()
    {
        var text = await Run(seed: 22, calls: 120);
        Assert.True(text.Length > 20_000, "too little was recorded to be a check");
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        Assert.True(Golden == hash, $"recorded messages hash {hash}, golden {Golden}");
    }

    [Fact]
    public async Task The_run_is_deterministic_and_its_hash_can_fail()
    {
        Assert.Equal(await Run(22, 30), await Run(22, 30));
        Assert.NotEqual(await Run(22, 30), await Run(23, 30));
    }

    [Fact]
    public async Task A_conversation_over_a_megabyte_is_recorded_whole_as_messages()
    {
        // Captured in full, as the node tree was (the per-span limit, 4 M characters, applies in the enrichment).
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);
        var line = new string('x', 10_000);
        var conversation = Enumerable.Range(0, 150).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"{i} {line}")).ToList();
        await chat.GetResponseAsync(conversation);
        var input = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter))).GetProperty("input");
        Assert.Equal(JsonValueKind.Object, input.ValueKind);
        var messages = input.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(150, messages.Count);
        Assert.Equal($"149 {line}", messages[^1].GetProperty("content").GetString());
        Assert.True(input.GetRawText().Length > 1_500_000);
    }

    [Fact]
    public async Task The_tools_offered_are_recorded_as_the_list_holds_them_at_each_call()
    {
        // The captured definitions are kept with the options' list and reused only while it holds the same tools.
        var (client, exporter) = Clients.InMemory();
        var chat = new FakeChatClient().WithPandaProbe(client);
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => city, "weather", "The weather")] };
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "1")], options);
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "2")], options);
        options.Tools.Add(AIFunctionFactory.Create((int n) => n, "count", "Counts"));
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "3")], options);
        options.Tools[0] = AIFunctionFactory.Create((string q) => q, "search", "Searches");
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "4")], options);
        string Names(JsonElement trace) => string.Join(",", Clients.SingleSpan(trace).GetProperty("metadata").GetProperty("tools")
            .EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(["weather", "weather", "weather,count", "search,count"], traces.Select(Names).ToArray());
    }

    static async Task<string> Run(int seed, int calls)
    {
        var random = new Random(seed);
        var (client, exporter) = Clients.InMemory();
        var fake = new FakeChatClient();
        var chat = fake.WithPandaProbe(client);
        for (var i = 0; i < calls; i++)
        {
            fake.Response = new ChatResponse(Enumerable.Range(0, 1 + random.Next(2)).Select(_ => Message(random, ChatRole.Assistant)).ToList())
            {
                ModelId = "gpt-4o",
            };
            var conversation = Enumerable.Range(0, 1 + random.Next(5)).Select(_ => Message(random, null)).ToList();
            var options = random.Next(3) == 0 ? new ChatOptions { Instructions = $"Be brief {random.Next(9)} ✓" } : null;
            await chat.GetResponseAsync(conversation, options);
        }
        var recorded = new StringBuilder();
        foreach (var trace in await Clients.ExportedAsync(client, exporter))
        {
            foreach (var key in new[] { "input", "output" })
                recorded.Append(trace.TryGetProperty(key, out var v) ? v.GetRawText() : "-").Append('\n');
            foreach (var span in trace.GetProperty("spans").EnumerateArray())
                foreach (var key in new[] { "input", "output" })
                    recorded.Append(span.TryGetProperty(key, out var v) ? v.GetRawText() : "-").Append('\n');
        }
        return recorded.ToString();
    }

    static readonly string[] Texts =
    [
        "Hello", "What's the weather in Oslo?", "Line one\nline two\t\"quoted\" \\ back", "emoji 😀 and accents é ü ß",
        "<html> & 'apostrophes'", "", "控制 \u0001 control", "21 °C",
    ];

    static ChatMessage Message(Random r, ChatRole? role)
    {
        var roles = new[] { ChatRole.User, ChatRole.Assistant, ChatRole.System, ChatRole.Tool, new ChatRole("Critic") };
        var chosen = role ?? roles[r.Next(roles.Length)];
        var parts = new List<AIContent>();
        var count = r.Next(4) == 0 ? 0 : 1 + r.Next(3);
        var allResults = r.Next(5) == 0;
        for (var i = 0; i < count; i++)
        {
            if (allResults)
            {
                parts.Add(new FunctionResultContent($"call_{r.Next(99)}", r.Next(3) switch
                {
                    0 => Texts[r.Next(Texts.Length)],
                    1 => new { temperature = r.Next(30), city = "Oslo" },
                    _ => null,
                }));
                continue;
            }
            parts.Add(r.Next(9) switch
            {
                0 or 1 or 2 => new TextContent(Texts[r.Next(Texts.Length)]),
                3 => new FunctionCallContent($"call_{r.Next(99)}", "get_weather", r.Next(2) == 0
                    ? new Dictionary<string, object?> { ["city"] = "Oslo", ["days"] = r.Next(5), ["units"] = null }
                    : null),
                4 => new DataContent(new byte[r.Next(64)], "image/png") { Name = r.Next(2) == 0 ? "chart.png" : null },
                5 => new UriContent(new Uri($"https://example.com/{r.Next(9)}.jpg"), "image/jpeg"),
                6 => new ErrorContent($"failed {r.Next(9)}") { ErrorCode = r.Next(2) == 0 ? "E42" : null },
                7 => new TextReasoningContent("thinking…"),
                _ => new FunctionResultContent($"call_{r.Next(99)}", Texts[r.Next(Texts.Length)]),
            });
        }
        return new ChatMessage(chosen, parts) { AuthorName = r.Next(5) == 0 ? "ada" : null };
    }
}
