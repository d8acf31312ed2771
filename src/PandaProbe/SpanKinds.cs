using PandaProbe.Serialization;

namespace PandaProbe;

/// <summary>Conversions between <see cref="SpanKind"/> and the platform's upper-case names.</summary>
public static class SpanKinds
{
    /// <summary>The wire name of a kind (<c>LLM</c>, <c>TOOL</c>, …).</summary>
    public static string ToWireName(this SpanKind kind) => WireJson.Name(kind);

    /// <summary>
    /// Parses a kind name as the platform spells it (<c>"LLM"</c>, <c>"RETRIEVER"</c>, …; case-insensitive).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.</exception>
    public static SpanKind Parse(string kind) =>
        WireJson.TryParseKind(kind?.Trim().ToUpperInvariant(), out var parsed)
            ? parsed
            : throw new ArgumentException(
                $"Unknown span kind '{kind}'. Expected one of AGENT, TOOL, LLM, RETRIEVER, CHAIN, EMBEDDING, OTHER.", nameof(kind));
}
