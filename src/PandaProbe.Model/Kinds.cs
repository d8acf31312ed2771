namespace PandaProbe.Model;

/// <summary>
/// The kind of work a span represents (the platform's span <c>kind</c>, the Python SDK's <c>SpanKind</c>). Sent
/// upper-case on the wire (<c>LLM</c>, <c>TOOL</c>, …). Named <c>SpanType</c> so that a file can import
/// <c>PandaProbe.Model</c> beside <c>OpenTelemetry.Trace</c>, whose <c>SpanKind</c> is another concept.
/// </summary>
public enum SpanType
{
    /// <summary>An agent: a unit that plans and calls tools or other agents.</summary>
    Agent,
    /// <summary>A tool or function call.</summary>
    Tool,
    /// <summary>A call to a large language model.</summary>
    Llm,
    /// <summary>A retrieval step (vector store, search index, …).</summary>
    Retriever,
    /// <summary>A chain or pipeline of steps.</summary>
    Chain,
    /// <summary>An embedding computation.</summary>
    Embedding,
    /// <summary>Anything else (the default).</summary>
    Other,
}

/// <summary>The status of a whole trace. Sent upper-case on the wire.</summary>
public enum TraceStatus
{
    /// <summary>Not started yet.</summary>
    Pending,
    /// <summary>Started and not ended; the status of every open trace.</summary>
    Running,
    /// <summary>Ended without an error; the default on a clean end.</summary>
    Completed,
    /// <summary>Ended with an error.</summary>
    Error,
}

/// <summary>The status of one span. Sent upper-case on the wire.</summary>
public enum SpanStatus
{
    /// <summary>No status set yet; promoted to <see cref="Ok"/> on a clean end.</summary>
    Unset,
    /// <summary>Completed successfully.</summary>
    Ok,
    /// <summary>Failed; the span carries an error message.</summary>
    Error,
}

/// <summary>The type of a score value, as the platform names it.</summary>
public enum ScoreDataType
{
    /// <summary>A number in [0, 1].</summary>
    Numeric,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
    /// <summary>A label from a set of categories.</summary>
    Categorical,
}
