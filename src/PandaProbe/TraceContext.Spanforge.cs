using System.Text;
using System.Text.Json;
using PandaProbe.Model.Summary;
using PandaProbe.Serialization;

namespace PandaProbe;

public sealed partial class TraceContext
{
    /// <summary>
    /// Starts an LLM span named after <paramref name="model"/> (spanforge's <c>llm_call</c>). The sampling settings
    /// given are recorded as model parameters (<c>temperature</c>, <c>top_p</c>, <c>max_tokens</c>) and
    /// <paramref name="operation"/> as metadata. Record usage with <c>SetTokenUsage</c>; when no cost is set, the cost
    /// is computed from the client's price catalogue.
    /// </summary>
    /// <param name="model">The model name, e.g. <c>"gpt-4o"</c>.</param>
    /// <param name="operation">The kind of call: <c>"chat"</c>, <c>"completion"</c>, <c>"embedding"</c>…</param>
    /// <param name="temperature">The sampling temperature, if set.</param>
    /// <param name="topP">The nucleus-sampling threshold, if set.</param>
    /// <param name="maxTokens">The completion token limit, if set.</param>
    /// <param name="attributes">Extra metadata.</param>
    /// <example><code>
    /// using (var span = trace.LlmCall("gpt-4o", temperature: 0.2))
    /// {
    ///     span.SetTokenUsage(promptTokens: 100, completionTokens: 50);
    ///     span.SetStatus(SpanStatus.Ok);
    /// }
    /// </code></example>
    public SpanContext LlmCall(string model, string operation = "chat", double? temperature = null, double? topP = null,
        int? maxTokens = null, IReadOnlyDictionary<string, object?>? attributes = null)
    {
        if (client is null) return SpanContext.NoOp;
        var metadata = new Dictionary<string, object?>(attributes ?? new Dictionary<string, object?>())
        {
            ["operation"] = operation ?? "chat",
        };
        var span = Span(string.IsNullOrWhiteSpace(model) ? "llm_call" : model, SpanKind.Llm, model, metadata);
        var parameters = new Dictionary<string, object?>();
        if (temperature is { } t) parameters["temperature"] = t;
        if (topP is { } p) parameters["top_p"] = p;
        if (maxTokens is { } m) parameters["max_tokens"] = m;
        if (parameters.Count > 0) span.SetModelParameters(parameters);
        return span;
    }

    /// <summary>Starts a tool span named <paramref name="toolName"/> (spanforge's <c>tool_call</c>).</summary>
    /// <param name="toolName">The tool's name.</param>
    /// <param name="attributes">Extra metadata.</param>
    public SpanContext ToolCall(string toolName, IReadOnlyDictionary<string, object?>? attributes = null) =>
        client is null ? SpanContext.NoOp : Span(string.IsNullOrWhiteSpace(toolName) ? "tool_call" : toolName, SpanKind.Tool, null, attributes);

    /// <summary>
    /// The trace's platform body as JSON, with every span that ended before it and computed costs (the trace as the
    /// exporters receive it). Never waits: once the trace has ended it is complete at once, since every event was folded
    /// on the thread that raised it; while it is open only what the facade knows is described: id, name, start and
    /// status <c>RUNNING</c>.
    /// </summary>
    /// <param name="indented">Pretty-print the JSON.</param>
    public string ToJson(bool indented = false) => Describe().ToJson(indented);

    /// <summary>
    /// Writes the trace as NDJSON to <paramref name="path"/> (replacing the file): one line per span (the platform span
    /// body), then one line with the trace body without its <c>spans</c> array. Never throws: a failure is reported to
    /// <see cref="SelfLog"/> and returned as <c>false</c>.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public bool Save(string path)
    {
        try
        {
            var trace = Describe();
            var sb = new StringBuilder();
            foreach (var span in trace.Spans) sb.Append(SpanJson(span)).Append('\n');
            sb.Append(WireJson.Trace(trace, [])).Append('\n');
            File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
            return true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"saving trace '{Name}' to {path} failed: {ex.Message}");
            return false;
        }
    }

    /// <summary>
    /// Prints the span tree (with sub-agent traces, token counts, costs and the rolled-up total) to
    /// <paramref name="writer"/>, or to standard output. See <see cref="TraceTree"/> for the format.
    /// </summary>
    /// <param name="writer">Where to print; <c>null</c> for <see cref="Console.Out"/>.</param>
    public void PrintTree(TextWriter? writer = null)
    {
        try
        {
            var trace = Describe();
            (writer ?? Console.Out).Write(TraceTree.Render(trace, Descendants()));
        }
        catch (Exception ex) { SelfLog.Write($"printing trace '{Name}' failed: {ex.Message}"); }
    }

    /// <summary>
    /// Aggregated statistics: span and error counts, tokens, <see cref="TraceSummary.Cost"/>, the cost rolled up over
    /// sub-agent traces (<see cref="TraceSummary.CostWithChildren"/>), duration and a per-model breakdown. Like
    /// <see cref="ToJson"/>, it never waits.
    /// </summary>
    public TraceSummary Summary() => TraceSummaries.OfTree(Describe(), Descendants());

    /// <summary>The same as <see cref="Summary"/> (kept for callers that await it; it completes at once).</summary>
    public Task<TraceSummary> SummaryAsync() => Task.FromResult(Summary());

    /// <summary>The completed trace as the exporters receive it (enriched), otherwise what the facade knows.</summary>
    Trace Describe() => cell?.Completed is { } done && client is not null ? client.Enrich(done) : Sketch();

    /// <summary>The completed sub-agent traces below this one that the client still keeps, enriched.</summary>
    IReadOnlyList<Trace> Descendants() =>
        client?.Archive?.Descendants(id).Select(client.Enrich).ToArray() ?? [];

    Trace Sketch() => new()
    {
        Id = id,
        Name = string.IsNullOrEmpty(Name) ? "trace" : Name,
        StartedAt = StartedAt,
        ParentTrace = Parent is { IsRecording: true } p ? LanguageExt.Prelude.Some(p.Id) : LanguageExt.Prelude.None,
    };

    static string SpanJson(Model.Span span)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WireJson.WriterOptions)) WireJson.WriteSpan(w, span);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
