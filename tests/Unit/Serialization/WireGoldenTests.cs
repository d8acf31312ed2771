using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Serialization;

/// <summary>
/// The wire does not move when the core is made cheaper (issue 22): the platform bodies of the seed payloads, and the
/// platform bodies and JSON Lines of a fixed pseudo-random facade run, hash to what the SDK wrote before span cells,
/// lazily built usage maps and unobserved setters without clock reads. The hashes were taken from commit c7b1142 (the
/// code before those changes) running this same file; a change that moves one byte of any of them fails here.
/// </summary>
public partial class WireGoldenTests
{
    /// <summary>SHA-256 of each seed's body as the SDK writes it (read by <see cref="WireReader"/>, written by <see cref="WireJson"/>).</summary>
    static readonly Dictionary<string, string> SeedHashes = new()
    {
        ["01_chatbot_support_turn1.json"] = "046C807033B8C022CBF35389B25F1BDEB01A456196E0B20F1C9FFF435DE45D01",
        ["02_rag_pipeline.json"] = "93D866B0AF857BA7A253CEF730176D580024696A16C04A618E5528D6442FADB1",
        ["03_code_review_agent.json"] = "2CCC42F6B4B0DE0BDDA0E4F9BCEC000D45F3D4E592527332FC979BF1214DC08F",
        ["04_error_trace.json"] = "084EA61B8C8B4178716CA928AF4506DA26C46880D22ABF32DB7564FCE06B96E8",
        ["05_chatbot_support_turn2.json"] = "C58D6A10620168BBD98D59690210B3EC7E818A0D019114C3B35A2001B2A22F0A",
        ["06_add_spans_to_rag.json"] = "44EFA517CF204BDEE5570B1B34C383E867D19401038E1F91568AD4AA15D9DCCE",
        ["07_simple_summarization.json"] = "3940CD229D35A63BA2CAFCB8C65A38B91395ACC15DD171C0BAFC58A36CCAC1F6",
        ["08_docextract_success.json"] = "FC5A1003033121F0537A4D0B9FA55F754ED8A6A700DA8024728AD166A139D732",
    };

    const string FuzzBodiesHash = "F3E00BABC1F3908E1461D57A08AC1D48004104DA9B2594405A87148F1F182F0B";
    // The file exporter writes each trace as its platform body on one line, so both hash alike.
    const string FuzzLinesHash = "F3E00BABC1F3908E1461D57A08AC1D48004104DA9B2594405A87148F1F182F0B";

    public static IEnumerable<object[]> Seeds() => SharedData.SeedFiles();

    static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    [SharedDataTheory]
    [MemberData(nameof(Seeds))]
    public void A_seed_is_written_with_the_bytes_it_always_had(string file)
    {
        var text = File.ReadAllText(Path.Combine(SharedData.SeedDirectory, file));
        var body = JsonNode.Parse(text) is JsonArray
            ? WireJson.SpansUtf8(WireReader.ReadSpans(text, new TraceId(Guid.Parse("a1b2c3d4-0002-4000-8000-000000000001"))))
            : WireJson.TraceUtf8(WireReader.ReadTrace(text));
        Assert.True(SeedHashes.TryGetValue(file, out var expected), $"no golden hash for {file}");
        Assert.True(expected == Sha256(body), $"{file}: body hash {Sha256(body)}, golden {expected}");
    }

    [Fact]
    public async Task A_fixed_pseudo_random_facade_run_writes_the_bytes_it_always_had()
    {
        var (bodies, lines) = await FuzzRun(seed: 22, traces: 60);
        Assert.True(bodies.Length > 10_000 && lines.Length > 10_000, "the run wrote too little to be a check");
        Assert.True(FuzzBodiesHash == Sha256(bodies), $"platform bodies hash {Sha256(bodies)}, golden {FuzzBodiesHash}");
        Assert.True(FuzzLinesHash == Sha256(lines), $"JSON Lines hash {Sha256(lines)}, golden {FuzzLinesHash}");
    }

    [Fact]
    public async Task The_fuzzed_run_is_deterministic_and_the_hash_can_fail()
    {
        var a = await FuzzRun(seed: 22, traces: 20);
        var b = await FuzzRun(seed: 22, traces: 20);
        var c = await FuzzRun(seed: 23, traces: 20);
        Assert.Equal(Sha256(a.Bodies), Sha256(b.Bodies));
        Assert.Equal(Sha256(a.Lines), Sha256(b.Lines));
        Assert.NotEqual(Sha256(a.Bodies), Sha256(c.Bodies));
    }

    /// <summary>
    /// Runs a pseudo-random script through the facade with a frozen clock, exporting to a JSON Lines file and to
    /// memory; returns the platform bodies of the exported traces and the file, with every id replaced by its order
    /// of first appearance (ids are random; everything else is fixed by the seed).
    /// </summary>
    static async Task<(byte[] Bodies, byte[] Lines)> FuzzRun(int seed, int traces)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pandaprobe-golden-{Guid.NewGuid():N}.jsonl");
        try
        {
            var memory = new InMemoryTraceExporter();
            var client = TestClient.Create(o => o.TimeProvider = new FrozenClock(), memory, new FileTraceExporter(file));
            var random = new Random(seed);
            for (var t = 0; t < traces; t++) Script(client, random, t);
            await client.ShutdownAsync(TimeSpan.FromSeconds(30));
            var bodies = new StringBuilder();
            foreach (var trace in memory.Traces) bodies.Append(Encoding.UTF8.GetString(WireJson.TraceUtf8(trace))).Append('\n');
            var ids = new Dictionary<string, int>();
            string Normalise(string text) => Guids().Replace(text, m =>
            {
                if (!ids.TryGetValue(m.Value, out var n)) ids[m.Value] = n = ids.Count;
                return $"id-{n}";
            });
            var normalisedBodies = Normalise(bodies.ToString());
            ids.Clear();
            var normalisedLines = Normalise(await File.ReadAllTextAsync(file));
            return (Encoding.UTF8.GetBytes(normalisedBodies), Encoding.UTF8.GetBytes(normalisedLines));
        }
        finally { File.Delete(file); }
    }

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-f]{32}")]
    private static partial Regex Guids();

    static readonly string[] Keys = ["temperature", "max_tokens", "gen_ai.system", "Route", "_private", "a.b", "a_b", "Zeta", "ünïcode"];
    static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "unknown-model"];

    static object? Value(Random r, int depth = 0) => r.Next(depth > 1 ? 5 : 8) switch
    {
        0 => null,
        1 => r.Next(-1000, 1000),
        2 => r.NextDouble() * 100,
        3 => $"text {r.Next(100)} \"quoted\" \n newline é 😀",
        4 => r.Next(2) == 0,
        5 => new { role = "user", content = $"message {r.Next(50)}" },
        6 => Enumerable.Range(0, r.Next(4)).Select(_ => Value(r, depth + 1)).ToArray(),
        _ => Enumerable.Range(0, r.Next(4)).ToDictionary(i => Keys[(i + r.Next(Keys.Length)) % Keys.Length] + i, _ => Value(r, depth + 1)),
    };

    static Dictionary<string, object?> Map(Random r) =>
        Enumerable.Range(0, 1 + r.Next(4)).Select(_ => Keys[r.Next(Keys.Length)]).Distinct().ToDictionary(k => k, _ => Value(r, 1));

    static void Script(PandaProbeClient client, Random r, int n)
    {
        using var trace = client.StartTrace($"trace-{n}", input: Value(r), sessionId: r.Next(3) == 0 ? $"s{r.Next(3)}" : null,
            userId: r.Next(3) == 0 ? "u" : null, tags: r.Next(2) == 0 ? ["a", "b"] : null, metadata: r.Next(2) == 0 ? Map(r) : null);
        var open = new Stack<SpanContext>();
        for (var step = 0; step < 4 + r.Next(12); step++)
        {
            if (open.Count == 0 || r.Next(4) == 0)
            {
                var kinds = Enum.GetValues<SpanType>();
                open.Push(trace.Span($"span-{step}", kinds[r.Next(kinds.Length)], model: r.Next(3) == 0 ? Models[r.Next(Models.Length)] : null,
                    metadata: r.Next(3) == 0 ? Map(r) : null));
                continue;
            }
            var span = open.Peek();
            switch (r.Next(13))
            {
                case 0: span.SetInput(Value(r)); break;
                case 1: span.SetOutput(Value(r)); break;
                case 2: span.SetModel(Models[r.Next(Models.Length)]); break;
                case 3: span.SetTokenUsage(r.Next(1000), r.Next(1000)); break;
                case 4: span.SetTokenUsage(r.Next(1000), r.Next(1000), new Dictionary<string, long> { ["reasoning_tokens"] = r.Next(50), ["total_tokens"] = r.Next(3000) }); break;
                case 5: span.SetCost(r.NextDouble()); break;
                case 6: span.SetCost(r.NextDouble(), new Dictionary<string, double> { ["input"] = r.NextDouble(), ["output"] = r.NextDouble() }); break;
                case 7: span.SetMetadata(Map(r)); break;
                case 8: span.SetModelParameters(Map(r)); break;
                case 9: span.SetError($"error {r.Next(10)}", r.Next(2) == 0 ? Map(r) : null); break;
                case 10: span.Fail(new InvalidOperationException($"boom {r.Next(10)}")); break;
                case 11: span.SetStatus(r.Next(2) == 0 ? SpanStatus.Ok : SpanStatus.Error); break;
                default: open.Pop().End(); break;
            }
        }
        while (open.Count > 0) open.Pop().End();
        if (r.Next(2) == 0) trace.SetOutput(Value(r));
        if (r.Next(4) == 0) trace.SetMetadata(Map(r));
        if (r.Next(6) == 0) trace.SetError("trace failed");
    }

    sealed class FrozenClock : TimeProvider
    {
        static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => At;
    }
}
