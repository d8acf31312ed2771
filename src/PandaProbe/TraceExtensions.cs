using System.Text.Json;
using PandaProbe.Serialization;

namespace PandaProbe;

/// <summary>Helpers on completed <see cref="Trace"/> values (as delivered by <see cref="PandaProbeClient.CompletedTraces"/>).</summary>
public static class TraceExtensions
{
    /// <summary>The trace's platform body (the JSON sent to <c>POST /traces</c>).</summary>
    /// <param name="trace">A trace.</param>
    /// <param name="indented">Pretty-print the JSON.</param>
    public static string ToJson(this Trace trace, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var json = WireJson.Trace(trace);
        if (!indented) return json;
        using var doc = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(doc.RootElement, IndentedOptions);
    }

    static readonly JsonSerializerOptions IndentedOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
