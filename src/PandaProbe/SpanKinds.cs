namespace PandaProbe;

/// <summary>Conversions between <see cref="SpanKind"/> and the platform's upper-case names.</summary>
public static class SpanKinds
{
    /// <summary>The wire name of a kind (<c>LLM</c>, <c>TOOL</c>, …).</summary>
    public static string ToWireName(this SpanKind kind) => kind switch
    {
        SpanKind.Agent => "AGENT",
        SpanKind.Tool => "TOOL",
        SpanKind.Llm => "LLM",
        SpanKind.Retriever => "RETRIEVER",
        SpanKind.Chain => "CHAIN",
        SpanKind.Embedding => "EMBEDDING",
        _ => "OTHER",
    };

    /// <summary>
    /// Parses a kind name as the platform spells it (<c>"LLM"</c>, <c>"RETRIEVER"</c>, …; case-insensitive).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.</exception>
    public static SpanKind Parse(string kind) => kind?.Trim().ToUpperInvariant() switch
    {
        "AGENT" => SpanKind.Agent,
        "TOOL" => SpanKind.Tool,
        "LLM" => SpanKind.Llm,
        "RETRIEVER" => SpanKind.Retriever,
        "CHAIN" => SpanKind.Chain,
        "EMBEDDING" => SpanKind.Embedding,
        "OTHER" => SpanKind.Other,
        _ => throw new ArgumentException(
            $"Unknown span kind '{kind}'. Expected one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.", nameof(kind)),
    };
}
