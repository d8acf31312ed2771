using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The one place that keeps a call from being recorded twice when two layers instrument it: PandaProbe's own middleware
/// (<see cref="PandaProbeChatClient"/>, <see cref="ToolTracing"/>, <see cref="PandaProbeEmbeddingGenerator"/>, an
/// Agent Framework AGENT wrapper) and an OpenTelemetry middleware whose gen_ai Activity is ingested
/// (<see cref="GenAiActivityIngestion"/>). Whichever layer is outermost records the span and claims the
/// call; the inner layer asks <see cref="Claimant(SpanKind, out bool)"/> and opens no span of its own when the call
/// is claimed. A PandaProbe claimant records everything already, so the inner layer records nothing; an ingested
/// activity's span is claimed as <em>shared</em>: the inner PandaProbe layer writes what it knows (messages, arguments,
/// results, usage) onto it and leaves ending it to the activity.
/// </summary>
/// <remarks>
/// <para>A claim is an <see cref="AsyncLocal{T}"/> value, so it flows into the calls the claiming layer makes and is
/// gone when the claiming async method returns. It covers exactly one call: it holds for a span of the same kind while
/// the claiming span is open <em>and</em> the flow's current PandaProbe span is still the one that was current right
/// after the claim. Any span opened in between (an agent run inside a tool, a chat call inside an agent) ends the
/// claim's reach, so nested calls of the same kind are recorded as usual.</para>
/// <para>How another integration uses it, e.g. an AGENT span wrapper for <c>invoke_agent</c>:
/// <code>
/// if (GenAiClaims.Claimant(SpanKind.Agent, out var shared) is { } claimant)
/// {
///     if (shared) { /* write input, output, agent metadata onto claimant; do not end it */ }
///     return await inner.RunAsync(...);   // already recorded
/// }
/// var span = trace.Span(name, SpanKind.Agent);
/// GenAiClaims.Claim(SpanKind.Agent, span);   // an OpenTelemetryAgent inside records no second span
/// </code>
/// Call <see cref="Claim"/> right after the span is started, in the async method that then runs the call (or in a
/// synchronous helper it calls): an <c>async</c> helper that returns before the call would take the claim with it.
/// Streaming spans that are not made current work too: the claim remembers the span that was current instead.</para>
/// </remarks>
internal static class GenAiClaims
{
    /// <summary>One claim. <see cref="Filled"/> turns true once an inner layer took a shared claim to write its details.</summary>
    internal sealed class Entry(SpanKind kind, SpanContext span, SpanContext? top, bool shared)
    {
        int filled;
        public SpanKind Kind { get; } = kind;
        public SpanContext Span { get; } = span;
        public SpanContext? Top { get; } = top;
        public bool Shared { get; } = shared;
        public bool Filled => Volatile.Read(ref filled) != 0;
        internal void MarkFilled() => Volatile.Write(ref filled, 1);
    }

    static readonly AsyncLocal<Entry?> Slot = new();

    /// <summary>The kinds a claim can cover: one call of a model, a tool, an embedding generator or an agent.</summary>
    public static bool IsClaimable(SpanKind kind) =>
        kind is SpanKind.Llm or SpanKind.Tool or SpanKind.Embedding or SpanKind.Agent;

    /// <summary>
    /// Claims the call about to run in this flow for <paramref name="span"/> (of <paramref name="kind"/>).
    /// <paramref name="shared"/>: the claimant knows less than an inner PandaProbe layer would (an ingested activity's
    /// span, filled from tags at its end), so an inner layer writes its details onto it but does not end it.
    /// </summary>
    /// <returns>The claim (to ask later whether an inner layer filled a shared span), or <c>null</c> when none was made.</returns>
    public static Entry? Claim(SpanKind kind, SpanContext span, bool shared = false)
    {
        try
        {
            if (!span.IsRecording || !IsClaimable(kind)) return null;
            var entry = new Entry(kind, span, Probe.CurrentSpan, shared);
            Slot.Value = entry;
            return entry;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai claim: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The span that already records the call of <paramref name="kind"/> running in this flow, or <c>null</c>, for a
    /// caller that records nothing either way (it does not take a shared claim).
    /// </summary>
    public static SpanContext? Claimant(SpanKind kind) => Find(kind)?.Span;

    /// <summary>
    /// The span that already records the call of <paramref name="kind"/> running in this flow, or <c>null</c>;
    /// <paramref name="shared"/> tells whether the caller should write its details onto it (without ending it); a
    /// caller told so must do it, since the claim's owner then leaves those details to it.
    /// </summary>
    public static SpanContext? Claimant(SpanKind kind, out bool shared)
    {
        var entry = Find(kind);
        shared = entry?.Shared == true;
        if (shared) entry!.MarkFilled();
        return entry?.Span;
    }

    static Entry? Find(SpanKind kind)
    {
        try
        {
            var entry = Slot.Value;
            if (entry is null || entry.Kind != kind || entry.Span.EndedAt is not null) return null;
            return ReferenceEquals(Probe.CurrentSpan, entry.Top) ? entry : null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai claim: {ex.Message}");
            return null;
        }
    }
}
