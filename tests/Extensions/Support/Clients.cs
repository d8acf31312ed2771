using System.Text.Json;
using PandaProbe.Exporters;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>Hermetic PandaProbe clients (no environment, no process-exit hook) and JSON helpers over exported traces.</summary>
public static class Clients
{
    public static readonly IReadOnlyDictionary<string, string?> NoEnvironment = new Dictionary<string, string?>();

    public static (PandaProbeClient Client, InMemoryTraceExporter Exporter) InMemory(Action<PandaProbeOptions>? configure = null)
    {
        var exporter = new InMemoryTraceExporter();
        var options = new PandaProbeOptions { EnvironmentVariables = NoEnvironment, RegisterProcessExitHandler = false };
        options.Exporters.Add(exporter);
        configure?.Invoke(options);
        return (new PandaProbeClient(options), exporter);
    }

    /// <summary>Flushes and returns the exported traces as parsed platform bodies.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ExportedAsync(PandaProbeClient client, InMemoryTraceExporter exporter)
    {
        var result = await client.FlushAsync(TimeSpan.FromSeconds(30));
        Assert.True(result.Completed, "flush did not complete");
        return exporter.Traces.Select(t => JsonDocument.Parse(t.ToJson()).RootElement.Clone()).ToList();
    }

    public static JsonElement SingleSpan(JsonElement trace) => Assert.Single(trace.GetProperty("spans").EnumerateArray().ToList());

    public static JsonElement SpanNamed(JsonElement trace, string name) =>
        trace.GetProperty("spans").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    public static bool Has(this JsonElement element, string property) => element.TryGetProperty(property, out _);

    public static string? Str(this JsonElement element, string property) =>
        element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The element's JSON text as exported (compact), for whole-value comparisons.</summary>
    public static string Raw(this JsonElement element) => element.GetRawText();
}
