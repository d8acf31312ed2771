namespace PandaProbe;

/// <summary>Typed helpers for the two most common spans: a model call and a tool call.</summary>
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
}
