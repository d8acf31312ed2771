using System.Text.Json;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Serialization;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>The platform's eight seed payloads, read into the model and sent through the exporter.</summary>
public sealed class SeedDeliveryTests : PlatformTest
{


    private static string Seed(string file) => File.ReadAllText(SharedFolder.File("pandaprobe-api", "seed", file)!);

    [SharedFolderFact]
    public void The_openapi_schemas_are_checked_when_the_shared_folder_is_present() =>
        Assert.True(FakePlatform.ValidatesSchemas);

    [SharedFolderFact]
    public async Task The_eight_seed_payloads_arrive_valid()
    {
        var traceFiles = Directory.GetFiles(Path.Combine(SharedFolder.Path!, "pandaprobe-api", "seed"), "*.json")
            .Select(Path.GetFileName).Where(f => !f!.StartsWith("06", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(7, traceFiles.Count);
        var traces = traceFiles.Select(f => WireReader.ReadTrace(Seed(f!))).ToList();
        var rag = traces.Single(t => t.Id.ToString() == "a1b2c3d4-0002-4000-8000-000000000001");
        var addSpans = WireReader.ReadSpans(Seed("06_add_spans_to_rag.json"), rag.Id);
        using var sut = new ExporterUnderTest(platform.BaseUrl);

        var result = await sut.ExportAsync(new ExportBatch(traces, addSpans, []));

        Assert.Equal(new ExportResult(9, 0, null), result);
        Assert.Empty(platform.Problems);
        Assert.Equal(8, platform.Accepted.Count);
        foreach (var file in traceFiles)
        {
            using var seed = JsonDocument.Parse(Seed(file!));
            var id = seed.RootElement.GetProperty("trace_id").GetString();
            var sent = Assert.Single(platform.Accepted, r => r.IsTrace && r.Json.GetProperty("trace_id").GetString() == id).Json;
            Assert.Equal(seed.RootElement.GetProperty("name").GetString(), sent.GetProperty("name").GetString());
            Assert.Equal(
                seed.RootElement.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("span_id").GetString()).Order(),
                sent.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("span_id").GetString()).Order());
        }
        var add = Assert.Single(platform.Accepted, r => r.IsAddSpans);
        Assert.Equal($"/traces/{rag.Id}/spans", add.Path);
        Assert.Equal(2, add.Json.GetArrayLength());
    }
}
