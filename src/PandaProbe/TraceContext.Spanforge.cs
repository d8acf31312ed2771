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
    /// The trace as the exporters receive it (enriched, with every span that ended before it) once it has ended;
    /// <c>null</c> while it is open or when not recording. Never waits: every event was folded on the thread that
    /// raised it, so the value is complete as soon as <see cref="End"/> returns.
    /// </summary>
    public Trace? Completed => cell?.Completed is { } done && client is not null ? client.Enrich(done) : null;

    /// <summary>
    /// The trace's platform body as JSON (<see cref="TraceExtensions.ToJson"/> of <see cref="Completed"/>). Never
    /// waits; while the trace is open only what the facade knows is described: id, name, start and status
    /// <c>RUNNING</c>.
    /// </summary>
    /// <param name="indented">Pretty-print the JSON.</param>
    public string ToJson(bool indented = false) => Describe().ToJson(indented);

    /// <summary>
    /// Writes the trace as NDJSON to <paramref name="path"/> (<see cref="TraceExtensions.Save"/> of
    /// <see cref="Completed"/>). Never throws: a failure is reported to <see cref="SelfLog"/> and returned as
    /// <c>false</c>.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public bool Save(string path) => path is not null && Describe().Save(path);

    /// <summary>
    /// Prints the span tree (<see cref="TraceExtensions.RenderTree"/>), with the sub-agent traces this client still
    /// keeps, to <paramref name="writer"/> or standard output. Never throws.
    /// </summary>
    /// <param name="writer">Where to print; <c>null</c> for <see cref="Console.Out"/>.</param>
    public void PrintTree(TextWriter? writer = null)
    {
        try { Describe().PrintTree(writer, Descendants()); }
        catch (Exception ex) { SelfLog.Write($"printing trace '{Name}' failed: {ex.Message}"); }
    }

    /// <summary>
    /// Aggregated statistics (<see cref="TraceExtensions.Summary"/>), with costs rolled up over the sub-agent traces
    /// this client still keeps. Never waits.
    /// </summary>
    public TraceSummary Summary() => Describe().Summary(Descendants());

    /// <summary>The completed trace as the exporters receive it (enriched), otherwise what the facade knows.</summary>
    Trace Describe() => Completed ?? Sketch();

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
}
