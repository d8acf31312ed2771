using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI;

/// <summary>Adds PandaProbe tracing to a Microsoft.Extensions.AI <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class PandaProbeChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="PandaProbeChatClient"/> at this position of the pipeline. Inside a tool loop (after
    /// <c>UseFunctionInvocation()</c>) it records an LLM span per model call; outside one (before
    /// <c>UseFunctionInvocation()</c>) it records a TOOL span per function invocation and opens one trace per request
    /// when none is open. For both, use it on each side:
    /// <c>builder.UsePandaProbe().UseFunctionInvocation().UsePandaProbe()</c>.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="client">The PandaProbe client for traces opened here; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The LLM span (and opened trace) name (default <c>chat</c>).</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <c>null</c>.</exception>
    public static ChatClientBuilder UsePandaProbe(this ChatClientBuilder builder, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PandaProbeChatClient(inner, client, spanName));
    }
}
