using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The one place that keeps a call from being recorded twice when two layers instrument it: PandaProbe's own middleware
/// (<see cref="PandaProbeChatClient"/>, <see cref="ToolTracing"/>, <see cref="PandaProbeEmbeddingGenerator"/>, an
/// Agent Framework AGENT wrapper) and an OpenTelemetry middleware whose gen_ai Activity is ingested
/// (<see cref="GenAiActivityIngestion"/>). Whichever layer is outermost records the span and claims the call; an
/// inner layer asks <see cref="Claimant(SpanType, object, out bool, string?)"/> (a PandaProbe layer) or
/// <see cref="ActivityClaimant"/> (ingestion) and opens no span of its own when the call is its claim. A PandaProbe
/// claimant records everything already, so the inner layer records nothing; an ingested activity's span is claimed as
/// <em>shared</em>: the inner PandaProbe layer writes what it knows (messages, arguments, results, usage) onto it and
/// leaves ending it to the activity.
/// </summary>
/// <remarks>
/// <para>A claim is an <see cref="AsyncLocal{T}"/> value, so it flows into the calls the claiming layer makes and is
/// gone when the claiming async method returns. It covers exactly one call, so it is taken at most once:</para>
/// <list type="bullet">
/// <item>It holds for a span of the same kind while the claiming span is open <em>and</em> the flow's current
/// PandaProbe span is still the one that was current right after the claim. Any span opened in between (an agent run
/// inside a tool, a chat call inside an agent) ends the claim's reach.</item>
/// <item>A shared claim (an ingested activity's span) is handed to the first inner layer that asks; later calls in the
/// same flow (the second model call of a tool loop the activity wraps) record spans of their own, beneath it.</item>
/// <item>A PandaProbe claim names its <em>target</em>: the next PandaProbe layer of the same type in the pipeline it
/// wraps (found with <c>GetService</c>), or the wrapped object itself. Only that layer treats the claim as its own call
/// (a client or agent wrapped twice, or with an OpenTelemetry middleware in between, records one span); any other
/// PandaProbe layer reached from inside (a router calling two traced clients, an orchestrator agent calling traced
/// sub-agents) records its call as usual. Ingestion, which cannot know the object, takes a PandaProbe claim once.</item>
/// <item>For a TOOL, the claimant's function name must also match the caller's.</item>
/// </list>
/// <para>How another integration uses it, e.g. an AGENT span wrapper for <c>invoke_agent</c>:
/// <code>
/// if (GenAiClaims.Claimant(SpanType.Agent, this, out var shared) is { } claimant)
/// {
///     if (shared) { /* write input, output, agent metadata onto claimant; do not end it */ }
///     return await inner.RunAsync(...);   // already recorded
/// }
/// var span = trace.Span(name, SpanType.Agent);
/// GenAiClaims.Claim(SpanType.Agent, span, target: nextTracedLayerOrInner);   // an OpenTelemetryAgent inside records no second AGENT span
/// </code>
/// Call <see cref="Claim"/> right after the span is started, in the async method that then runs the call (or in a
/// synchronous helper it calls): an <c>async</c> helper that returns before the call would take the claim with it.
/// Streaming spans that are not made current work too: the claim remembers the span that was current instead.</para>
/// </remarks>
internal static class GenAiClaims
{
    /// <summary>One claim. <see cref="Filled"/> turns true once an inner layer took a shared claim to write its details.</summary>
    internal sealed class Entry(SpanType kind, SpanContext span, SpanContext? top, bool shared, object? target, string? name)
    {
        int filled;
        int taken;
        int takenByActivity;
        public SpanType Kind { get; } = kind;
        public SpanContext Span { get; } = span;
        public SpanContext? Top { get; } = top;
        public bool Shared { get; } = shared;
        /// <summary>The only PandaProbe layer that may take a PandaProbe claim; <c>null</c>: none may.</summary>
        public object? Target { get; } = target;
        /// <summary>The function's name, for a TOOL claim; <c>null</c> when unknown (no name check).</summary>
        public string? Name { get; } = name;
        public bool Filled => Volatile.Read(ref filled) != 0;
        internal void MarkFilled() => Volatile.Write(ref filled, 1);
        internal bool Take() => Interlocked.Exchange(ref taken, 1) == 0;
        internal bool TakeForActivity() => Interlocked.Exchange(ref takenByActivity, 1) == 0;
    }

    static readonly AsyncLocal<Entry?> Slot = new();

    /// <summary>The kinds a claim can cover: one call of a model, a tool, an embedding generator or an agent.</summary>
    public static bool IsClaimable(SpanType kind) =>
        kind is SpanType.Llm or SpanType.Tool or SpanType.Embedding or SpanType.Agent;

    /// <summary>
    /// Claims the call about to run in this flow for <paramref name="span"/> (of <paramref name="kind"/>).
    /// <paramref name="shared"/>: the claimant knows less than an inner PandaProbe layer would (an ingested activity's
    /// span, filled from tags at its end), so the first inner layer writes its details onto it but does not end it.
    /// <paramref name="target"/>: for a PandaProbe claim, the one PandaProbe layer that is the same call (see the
    /// remarks); <paramref name="name"/>: a TOOL's function name.
    /// </summary>
    /// <returns>The claim (to ask later whether an inner layer filled a shared span), or <c>null</c> when none was made.</returns>
    public static Entry? Claim(SpanType kind, SpanContext span, bool shared = false, object? target = null, string? name = null)
    {
        try
        {
            if (!span.IsRecording || !IsClaimable(kind)) return null;
            var entry = new Entry(kind, span, Probe.CurrentSpan, shared, target, string.IsNullOrEmpty(name) ? null : name);
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
    /// For a PandaProbe layer (<paramref name="self"/>): the span that already records the call of
    /// <paramref name="kind"/> it is about to make, or <c>null</c> (record it). <paramref name="shared"/> tells whether
    /// the caller must write its details onto that span (without ending it): the claim's owner leaves them to it.
    /// </summary>
    public static SpanContext? Claimant(SpanType kind, object self, out bool shared, string? name = null)
    {
        shared = false;
        try
        {
            if (Reachable(kind, name) is not { } entry) return null;
            if (entry.Shared)
            {
                if (!entry.Take()) return null;
                shared = true;
                entry.MarkFilled();
                return entry.Span;
            }
            return entry.Target is not null && ReferenceEquals(entry.Target, self) && entry.Take() ? entry.Span : null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai claim: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// For an ingested activity of <paramref name="kind"/> (a TOOL's function <paramref name="name"/> when known): the
    /// span that already records its call, or <c>null</c>. Each claim answers this once, except with
    /// <paramref name="within"/>: the activity is an Agent Framework run as it starts (a <c>chat</c> activity of the
    /// framework outside any framework run, see <see cref="GenAiActivityMapping.IsAgentRunStart"/>), which takes nothing
    /// and is recorded as part of the claimant.
    /// </summary>
    public static SpanContext? ActivityClaimant(SpanType kind, string? name = null, bool within = false)
    {
        try
        {
            if (Reachable(kind, name) is not { } entry) return null;
            if (within) return entry.Span;
            return (entry.Shared ? entry.Take() : entry.TakeForActivity()) ? entry.Span : null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai claim: {ex.Message}");
            return null;
        }
    }

    /// <summary>The claim of <paramref name="kind"/> that still reaches the flow's current call, taken or not.</summary>
    static Entry? Reachable(SpanType kind, string? name)
    {
        var entry = Slot.Value;
        if (entry is null || entry.Kind != kind || entry.Span.EndedAt is not null) return null;
        if (!ReferenceEquals(Probe.CurrentSpan, entry.Top)) return null;
        if (kind == SpanType.Tool && entry.Name is not null && !string.IsNullOrEmpty(name)
            && !string.Equals(entry.Name, name, StringComparison.Ordinal)) return null;
        return entry;
    }
}
