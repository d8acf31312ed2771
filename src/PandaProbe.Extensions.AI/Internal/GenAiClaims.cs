using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The one place that keeps a call from being recorded twice when two layers instrument it: PandaProbe's own middleware
/// (<see cref="PandaProbeChatClient"/>, <see cref="ToolTracing"/>, <see cref="PandaProbeEmbeddingGenerator"/>, an
/// Agent Framework AGENT wrapper) and an OpenTelemetry middleware whose gen_ai Activity is ingested
/// (<see cref="GenAiActivityIngestion"/>). Whichever layer is outermost records the span and claims the
/// call; the inner layer asks <see cref="Claimant"/> and records nothing of its own when the call is claimed.
/// </summary>
/// <remarks>
/// <para>A claim is an <see cref="AsyncLocal{T}"/> value, so it flows into the calls the claiming layer makes and is
/// gone when the claiming async method returns. It covers exactly one call: it holds for a span of the same kind while
/// the claiming span is open <em>and</em> the flow's current PandaProbe span is still the one that was current right
/// after the claim. Any span opened in between (an agent run inside a tool, a chat call inside an agent) ends the
/// claim's reach, so nested calls of the same kind are recorded as usual.</para>
/// <para>How another integration uses it, e.g. an AGENT span wrapper for <c>invoke_agent</c>:
/// <code>
/// if (GenAiClaims.Claimant(SpanKind.Agent) is not null) return await inner.RunAsync(...);   // already recorded
/// var span = trace.Span(name, SpanKind.Agent);
/// GenAiClaims.Claim(SpanKind.Agent, span);   // an OpenTelemetryAgent inside records no second span
/// </code>
/// Call <see cref="Claim"/> in the async method that runs the call (not in a helper that returns before it), right after
/// the span is started.</para>
/// </remarks>
internal static class GenAiClaims
{
    sealed record Entry(SpanKind Kind, SpanContext Span, SpanContext? Top);

    static readonly AsyncLocal<Entry?> Slot = new();

    /// <summary>The kinds a claim can cover: one call of a model, a tool, an embedding generator or an agent.</summary>
    public static bool IsClaimable(SpanKind kind) =>
        kind is SpanKind.Llm or SpanKind.Tool or SpanKind.Embedding or SpanKind.Agent;

    /// <summary>Claims the call about to run in this flow for <paramref name="span"/> (of <paramref name="kind"/>).</summary>
    public static void Claim(SpanKind kind, SpanContext span)
    {
        try
        {
            if (!span.IsRecording || !IsClaimable(kind)) return;
            Slot.Value = new Entry(kind, span, Probe.CurrentSpan);
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai claim: {ex.Message}"); }
    }

    /// <summary>The span that already records the call of <paramref name="kind"/> running in this flow, or <c>null</c>.</summary>
    public static SpanContext? Claimant(SpanKind kind)
    {
        try
        {
            var entry = Slot.Value;
            if (entry is null || entry.Kind != kind || entry.Span.EndedAt is not null) return null;
            return ReferenceEquals(Probe.CurrentSpan, entry.Top) ? entry.Span : null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai claim: {ex.Message}");
            return null;
        }
    }
}
