using PandaProbe.Rag;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

public sealed partial class SpanContext
{
    /// <summary>Registers a parameter on this span only (sent under the span's <c>metadata.params</c>).</summary>
    /// <param name="key">The parameter's name.</param>
    /// <param name="value">A JSON-serializable value.</param>
    public void RegisterParam(string key, object? value)
    {
        if (Client is null || string.IsNullOrEmpty(key)) return;
        RegisterParams(new Dictionary<string, object?> { [key] = value });
    }

    /// <summary>Upserts (or with <paramref name="overwrite"/> replaces) this span's parameters.</summary>
    public void RegisterParams(IReadOnlyDictionary<string, object?> parameters, bool overwrite = false)
    {
        if (Client is null || parameters is null) return;
        var clean = new Dictionary<string, object?>();
        foreach (var (k, v) in Client.Snapshot(parameters, "span", Name, "parameters")) if (!string.IsNullOrEmpty(k)) clean[k] = v;
        Raise(new ParamsRegistered(Trace.Id, Id, Client.CaptureMap(clean), overwrite, Client.EventTime(StartedAt)));
    }

    /// <summary>Adds a free-form log entry to the span (sent under the span's <c>metadata.logs</c>).</summary>
    /// <param name="data">Any JSON-serializable value (a string is kept as is).</param>
    public void Log(object? data)
    {
        if (Client is null) return;
        Raise(new Logged(Trace.Id, Id, Client.Capture(data), Client.Now()));
    }

    /// <summary>Records a retrieval as a RETRIEVER span under this span. See <see cref="TraceContext.LogRetrievalEvent"/>.</summary>
    public void LogRetrievalEvent(string query, IReadOnlyList<Chunk> retrievedData,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        Trace.RagSpan(this, "retrieval", name, SpanType.Retriever, query, RagEvents.Shape(retrievedData), metadata);

    /// <summary>Records a rerank under this span. See <see cref="TraceContext.LogRerankEvent"/>.</summary>
    public void LogRerankEvent(IReadOnlyList<Chunk> retrieved, IReadOnlyList<Chunk> reranked,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        Trace.RagSpan(this, "rerank", name, SpanType.Retriever, RagEvents.Shape(retrieved), RagEvents.Shape(reranked), metadata);

    /// <summary>Records a tool invocation under this span. See <see cref="TraceContext.LogToolCallEvent"/>.</summary>
    public void LogToolCallEvent(string tool, IReadOnlyDictionary<string, object?> toolArgs, object? toolResult,
        IReadOnlyDictionary<string, object?>? metadata = null, string? name = null) =>
        Trace.RagSpan(this, "tool_call", name ?? tool, SpanType.Tool, toolArgs, toolResult, metadata);
}
