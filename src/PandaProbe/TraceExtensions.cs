using System.Text;
using System.Text.Json;
using PandaProbe.Model.Summary;
using PandaProbe.Serialization;

namespace PandaProbe;

/// <summary>
/// Extensions of the model's types. <see cref="SpanType"/>: <c>SpanType.Parse("LLM")</c> reads a kind as the platform
/// spells it, <c>kind.ToWireName()</c> writes it. A completed <see cref="TraceRecord"/> (as delivered by <see cref="PandaProbeClient.CompletedTraces"/>,
/// an exporter's batch, or <see cref="TraceContext.Completed"/>): summarise it, render or print its span tree, turn it
/// into the platform's JSON, or save it as NDJSON. All are pure functions of the value except <see cref="Save"/>,
/// <see cref="SaveAsync"/> and <see cref="PrintTree"/>, which write where you tell them; none waits for the SDK.
/// </summary>
public static class TraceExtensions
{
    extension(SpanType kind)
    {
        /// <summary>The wire name of a kind (<c>LLM</c>, <c>TOOL</c>, …).</summary>
        public string ToWireName() => WireJson.Name(kind);

        /// <summary>
        /// Parses a kind name as the platform spells it (<c>"LLM"</c>, <c>"RETRIEVER"</c>, …; case-insensitive).
        /// </summary>
        /// <param name="name">The platform's name of the kind.</param>
        /// <exception cref="ArgumentException">The name is not one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.</exception>
        public static SpanType Parse(string name) =>
            WireJson.TryParseKind(name?.Trim().ToUpperInvariant(), out var parsed)
                ? parsed
                : throw new ArgumentException(
                    $"Unknown span kind '{name}'. Expected one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.", nameof(name));
    }

    /// <summary>The trace's platform body (the JSON sent to <c>POST /traces</c>, spans included).</summary>
    /// <param name="trace">A trace.</param>
    /// <param name="indented">Pretty-print the JSON.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> is null.</exception>
    public static string ToJson(this TraceRecord trace, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var json = WireJson.Trace(trace);
        if (!indented) return json;
        using var doc = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(doc.RootElement, IndentedOptions);
    }

    /// <summary>
    /// Aggregated statistics: span and error counts, tokens, cost, the cost rolled up over
    /// <paramref name="subAgentRuns"/> (<see cref="TraceSummary.CostWithChildren"/>), duration and a per-model breakdown.
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="subAgentRuns">Traces started under this one (at any depth), whose costs roll up; <c>null</c> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> is null.</exception>
    public static TraceSummary Summary(this TraceRecord trace, IEnumerable<TraceRecord>? subAgentRuns = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return TraceSummaries.OfTree(trace, subAgentRuns);
    }

    /// <summary>
    /// The span tree as text, one node per line (each ending with <c>\n</c>): spans under their parent span, sub-agent
    /// runs under the run that started them, siblings by start time, with durations, token counts, costs, errors and
    /// the rolled-up total:
    /// <code>
    /// — Agent Run: coordinator  [2.1s]
    ///  ├─ LLM Call: gpt-4o  [0.3s]  in=100 out=50  $0.0008
    ///  └─ Agent Run: researcher  [1.8s]
    ///      └─ LLM Call: claude-3-5-sonnet  [1.6s]  in=800 out=400  $0.0084
    ///  Total (with children): $0.0092
    /// </code>
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="subAgentRuns">Traces started under this one (at any depth); <c>null</c> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> is null.</exception>
    public static string RenderTree(this TraceRecord trace, IEnumerable<TraceRecord>? subAgentRuns = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return TraceTree.Render(trace, subAgentRuns);
    }

    /// <summary>Writes <see cref="RenderTree"/> to <paramref name="writer"/>, or to standard output.</summary>
    /// <param name="trace">The trace.</param>
    /// <param name="writer">Where to print; <c>null</c> for <see cref="Console.Out"/>.</param>
    /// <param name="subAgentRuns">Traces started under this one (at any depth); <c>null</c> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> is null.</exception>
    public static void PrintTree(this TraceRecord trace, TextWriter? writer = null, IEnumerable<TraceRecord>? subAgentRuns = null) =>
        (writer ?? Console.Out).Write(RenderTree(trace, subAgentRuns));

    /// <summary>
    /// The trace as NDJSON: one line per span (the platform's span body), then one line with the trace body without
    /// its <c>spans</c> array (the format <see cref="Save"/> writes).
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> is null.</exception>
    public static string ToNdjson(this TraceRecord trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var sb = new StringBuilder();
        foreach (var span in trace.Spans) sb.Append(WireJson.Span(span)).Append('\n');
        return sb.Append(WireJson.Trace(trace, [])).Append('\n').ToString();
    }

    /// <summary>
    /// Writes <see cref="ToNdjson"/> to <paramref name="path"/> (replacing the file). A failure (the file system, or a
    /// value that cannot be written) is reported to <see cref="SelfLog"/> and returned as <c>false</c>, never thrown.
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="path">The file to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> or <paramref name="path"/> is null.</exception>
    public static bool Save(this TraceRecord trace, string path)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            File.WriteAllText(path, ToNdjson(trace), Utf8);
            return true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"saving trace '{trace.Name}' to {path} failed: {ex.Message}");
            return false;
        }
    }

    /// <summary>The asynchronous form of <see cref="Save"/>.</summary>
    /// <param name="trace">The trace.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the write (then the result is <c>false</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="trace"/> or <paramref name="path"/> is null.</exception>
    public static async Task<bool> SaveAsync(this TraceRecord trace, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            await File.WriteAllTextAsync(path, ToNdjson(trace), Utf8, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"saving trace '{trace.Name}' to {path} failed: {ex.Message}");
            return false;
        }
    }

    static readonly UTF8Encoding Utf8 = new(false);

    static readonly JsonSerializerOptions IndentedOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
