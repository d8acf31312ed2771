namespace PandaProbe;

/// <summary>
/// Typed helpers for the two most common spans (a model call and a tool call), and for the LastMile RAG event kinds
/// that <c>TraceContext.Logs.cs</c> does not cover: <c>multi_embedding</c>, <c>synthesize</c>, <c>templating</c> and
/// <c>custom</c> (LastMile's generic <c>log_span_event</c>).
/// </summary>
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
        var span = Span(string.IsNullOrWhiteSpace(model) ? "llm_call" : model, SpanType.Llm, model, metadata);
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
        client is null ? SpanContext.NoOp : Span(string.IsNullOrWhiteSpace(toolName) ? "tool_call" : toolName, SpanType.Tool, null, attributes);

    /// <summary>
    /// Records the embedding of several texts at once (LastMile's <c>multi_embedding</c> event): an EMBEDDING span under
    /// the current span, started and ended at once, whose input is the texts and whose output is their vectors, in
    /// the same order; <c>metadata.rag_event_type</c> is <c>multi_embedding</c>. For one text, or for vectors of
    /// data that is not text, use <see cref="LogEmbeddingEvent"/>.
    /// </summary>
    /// <param name="texts">The texts embedded.</param>
    /// <param name="embeddings">One vector per text.</param>
    /// <param name="metadata">Other information to record (the embedding model, the dimensions, …).</param>
    /// <param name="name">The span's name; <c>multi_embedding</c> when not given.</param>
    /// <example><code>
    /// trace.LogMultiEmbeddingEvent(["first chunk", "second chunk"], [[0.12f, 0.48f], [0.33f, 0.05f]],
    ///     new Dictionary&lt;string, object?&gt; { ["embedding_model"] = "text-embedding-3-small" });
    /// </code></example>
    public void LogMultiEmbeddingEvent(IReadOnlyList<string> texts, IReadOnlyList<IReadOnlyList<float>> embeddings,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "multi_embedding", name, SpanType.Embedding, texts ?? [], embeddings ?? [], metadata);

    /// <summary>
    /// Records the input and output of a whole sub-process made of several steps (LastMile's <c>synthesize</c>
    /// event, "a catch-all to summarize the input and output of several nested events"): a CHAIN span under the
    /// current span, started and ended at once, with <c>metadata.rag_event_type</c> <c>synthesize</c>.
    /// </summary>
    /// <param name="input">The sub-process's input (any JSON-serializable value; a string is kept as is).</param>
    /// <param name="output">The sub-process's output.</param>
    /// <param name="metadata">Other information to record.</param>
    /// <param name="name">The span's name; <c>synthesize</c> when not given.</param>
    /// <example><code>
    /// trace.LogSynthesizeEvent(input: new { question = "What is PandaProbe?", chunks = 3 },
    ///     output: "PandaProbe is a tracing platform for LLM applications.");
    /// </code></example>
    public void LogSynthesizeEvent(object? input, object? output,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, "synthesize", name, SpanType.Chain, input, output, metadata);

    /// <summary>
    /// Records the resolution of a prompt template (LastMile's <c>templating</c> event): an OTHER span under the
    /// current span, started and ended at once, whose output is the resolved prompt and whose input is the template
    /// (a string), or, when <paramref name="variables"/> or <paramref name="systemPrompt"/> are given, an object with
    /// <c>template</c>, <c>variables</c> and <c>system_prompt</c>; <c>metadata.rag_event_type</c> is
    /// <c>templating</c>.
    /// </summary>
    /// <param name="promptTemplate">The template, before its values were filled in.</param>
    /// <param name="resolvedPrompt">The resolved prompt.</param>
    /// <param name="variables">The values filled in, if they should be recorded.</param>
    /// <param name="systemPrompt">The system prompt that goes with the prompt, if any.</param>
    /// <param name="metadata">Other information to record.</param>
    /// <param name="name">The span's name; <c>templating</c> when not given.</param>
    /// <example><code>
    /// trace.LogTemplatingEvent("Answer using {context}: {question}", "Answer using the handbook: what is PandaProbe?",
    ///     variables: new Dictionary&lt;string, object?&gt; { ["context"] = "the handbook", ["question"] = "what is PandaProbe?" });
    /// </code></example>
    public void LogTemplatingEvent(string promptTemplate, string resolvedPrompt,
        IReadOnlyDictionary<string, object?>? variables = null, string? systemPrompt = null,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null)
    {
        object? input = promptTemplate;
        if (variables is not null || systemPrompt is not null)
        {
            var shape = new Dictionary<string, object?> { ["template"] = promptTemplate };
            if (variables is not null) shape["variables"] = variables;
            if (systemPrompt is not null) shape["system_prompt"] = systemPrompt;
            input = shape;
        }
        RagSpan(null, "templating", name, SpanType.Other, input, resolvedPrompt, metadata);
    }

    /// <summary>
    /// Records any other RAG step (LastMile's generic <c>log_span_event</c>, whose default kind is <c>custom</c>): a
    /// span of <paramref name="kind"/> under the current span, started and ended at once, with the input and output
    /// given and <c>metadata.rag_event_type</c> set to <paramref name="eventType"/>. The typed <c>Log…Event</c>
    /// helpers are this call with their own event type, kind and shapes.
    /// </summary>
    /// <param name="input">The step's input (any JSON-serializable value; a string is kept as is).</param>
    /// <param name="output">The step's output.</param>
    /// <param name="eventType">The event type recorded as <c>metadata.rag_event_type</c>; <c>custom</c> when not given.</param>
    /// <param name="kind">The span's kind; <see cref="SpanType.Other"/> when not given.</param>
    /// <param name="metadata">Other information to record (LastMile's <c>event_data</c>).</param>
    /// <param name="name">The span's name; the event type when not given.</param>
    /// <example><code>
    /// trace.LogSpanEvent(input: "PandaProbe", output: new[] { "pandaprobe" }, eventType: "normalize");
    /// </code></example>
    public void LogSpanEvent(object? input, object? output, string eventType = "custom", SpanType kind = SpanType.Other,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        RagSpan(null, string.IsNullOrWhiteSpace(eventType) ? "custom" : eventType, name, kind, input, output, metadata);
}
