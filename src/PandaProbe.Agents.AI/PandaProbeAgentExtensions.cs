using Microsoft.Agents.AI;
using PandaProbe.Agents.AI.Internal;

namespace PandaProbe.Agents.AI;

/// <summary>Adds PandaProbe tracing to Microsoft Agent Framework agents.</summary>
/// <remarks>
/// <para>Each run (<c>RunAsync</c> or <c>RunStreamingAsync</c>) becomes one AGENT span named after the agent
/// (<c>agent</c> when it has no name), with <c>metadata.agent_id</c>, <c>agent_description</c>, <c>instructions</c>
/// (a <see cref="ChatClientAgent"/>'s) and <c>stream</c>; <c>input</c> is the run's messages in messages form,
/// <c>output</c> the final assistant message. With a trace open in the flow (<see cref="Probe.CurrentTrace"/>) the span
/// is a child of the current span; otherwise the run opens one trace, named after the agent, whose root span it is.
/// The span is current while the agent runs, so LLM spans of a traced chat client
/// (<c>chatClient.WithPandaProbe()</c>) and the TOOL spans of the agent's function calls land beneath it.</para>
/// <para>Usage, decided as the run ends: when the agent's model calls were recorded with their usage (LLM spans of a
/// traced chat client or of ingested gen_ai activities, AGENT spans of traced sub-agents), those spans carry the tokens
/// and cost and the span keeps the run's sum as <c>metadata.run_token_usage</c> (so no total counts them twice);
/// otherwise the span itself gets the run's token usage and model, and is priced from the catalogue.</para>
/// <para>Traced agents that this agent's run calls directly (an orchestrator's sub-agents) record AGENT spans of their
/// own beneath it; an agent wrapped twice records one AGENT span per run.</para>
/// <para>Errors mark the span (and a trace the run opened) ERROR and reach the caller unchanged. A stream ends the span
/// once: when it completes, when it fails (keeping what arrived), or when the consumer stops early (what arrived,
/// <c>metadata.stream_incomplete = true</c>). Telemetry failures never reach the caller.</para>
/// <para>Metrics, on the <c>PandaProbe</c> meter under PandaProbe's own names so that no backend adds a run's tokens to
/// those of its model calls (which the chat client's gen_ai metrics count): <c>pandaprobe.agent.operation.duration</c>
/// (histogram, <c>s</c>) and <c>pandaprobe.agent.token.usage</c> (histogram, <c>{token}</c>, by
/// <c>gen_ai.token.type</c>: the usage the run reports), with <c>gen_ai.operation.name</c> = <c>invoke_agent</c>,
/// <c>gen_ai.agent.name</c>, <c>gen_ai.request.model</c> / <c>gen_ai.response.model</c> when known and
/// <c>error.type</c> on failure (then no tokens).</para>
/// </remarks>
public static class PandaProbeAgentExtensions
{
    /// <summary>Wraps <paramref name="agent"/> so that each of its runs is traced as an AGENT span.</summary>
    /// <param name="agent">The agent to trace.</param>
    /// <param name="client">The PandaProbe client for traces a run opens; <c>null</c> uses <see cref="Probe.Client"/> at run time.</param>
    /// <returns>The tracing agent (same name, id and description as <paramref name="agent"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> is <c>null</c>.</exception>
    public static AIAgent WithPandaProbe(this AIAgent agent, PandaProbeClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new PandaProbeAgent(agent, client);
    }

    /// <summary>Adds AGENT-span tracing at this position of an agent pipeline (see <see cref="WithPandaProbe"/>).</summary>
    /// <param name="builder">The agent pipeline builder.</param>
    /// <param name="client">The PandaProbe client for traces a run opens; <c>null</c> uses <see cref="Probe.Client"/> at run time.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static AIAgentBuilder UsePandaProbe(this AIAgentBuilder builder, PandaProbeClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeAgent(inner, client));
    }
}
