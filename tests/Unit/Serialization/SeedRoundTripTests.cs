using System.Text.Json.Nodes;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Serialization;

/// <summary>Every seed payload of the platform, read into the model and written back, is the same JSON.</summary>
public class SeedRoundTripTests
{
    public static IEnumerable<object[]> Seeds() => SharedData.SeedFiles();

    [SharedDataTheory]
    [MemberData(nameof(Seeds))]
    public void A_seed_file_survives_a_read_and_write(string file)
    {
        var text = File.ReadAllText(Path.Combine(SharedData.SeedDirectory, file));
        var original = JsonNode.Parse(text)!;
        string written;
        if (original is JsonArray)
        {
            // 06 is the body of POST /traces/{trace_id}/spans for seed 02.
            var trace = new TraceId(Guid.Parse("a1b2c3d4-0002-4000-8000-000000000001"));
            written = WireJson.Spans(WireReader.ReadSpans(text, trace));
        }
        else
        {
            written = WireJson.Trace(WireReader.ReadTrace(text));
        }
        Assert.DoesNotContain("\n", written);
        var difference = JsonSemantics.Difference(JsonSemantics.WithoutNulls(original), JsonNode.Parse(written));
        Assert.True(difference is null, $"{file}: {difference}");
    }

    [SharedDataTheory]
    [MemberData(nameof(Seeds))]
    public void A_rewritten_seed_reads_back_to_the_same_model(string file)
    {
        var text = File.ReadAllText(Path.Combine(SharedData.SeedDirectory, file));
        if (JsonNode.Parse(text) is JsonArray)
        {
            var trace = new TraceId(Guid.Parse("a1b2c3d4-0002-4000-8000-000000000001"));
            var spans = WireReader.ReadSpans(text, trace);
            var again = WireReader.ReadSpans(WireJson.Spans(spans), trace);
            Assert.Equal(spans.Count, again.Count);
            foreach (var (e, a) in spans.Zip(again)) WireReaderTests.AssertSameSpan(e, a);
            return;
        }
        var first = WireReader.ReadTrace(text);
        var second = WireReader.ReadTrace(WireJson.Trace(first));
        WireReaderTests.AssertSameTrace(first, second);
    }

    [SharedDataFact]
    public void The_seed_folder_holds_the_eight_documented_payloads()
    {
        Assert.Equal(8, Directory.GetFiles(SharedData.SeedDirectory, "*.json").Length);
    }

    [Fact]
    public void The_semantic_comparison_can_fail()
    {
        var a = JsonNode.Parse("""{"started_at":"2026-02-23T10:00:00.000Z","x":[1,2],"n":0.0}""");
        Assert.Null(JsonSemantics.Difference(a, JsonNode.Parse("""{"n":0,"x":[1,2],"started_at":"2026-02-23T10:00:00+00:00"}""")));
        Assert.NotNull(JsonSemantics.Difference(a, JsonNode.Parse("""{"n":0,"x":[2,1],"started_at":"2026-02-23T10:00:00+00:00"}""")));
        Assert.NotNull(JsonSemantics.Difference(a, JsonNode.Parse("""{"n":0,"x":[1,2],"started_at":"2026-02-23T10:00:00.001+00:00"}""")));
        Assert.NotNull(JsonSemantics.Difference(a, JsonNode.Parse("""{"n":0,"x":[1,2]}""")));
    }
}
