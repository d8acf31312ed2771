using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI;

/// <summary>Extension methods that add PandaProbe tracing to Microsoft.Extensions.AI chat clients.</summary>
public static class PandaProbeChatClientExtensions
{
    /// <summary>
    /// Wraps <paramref name="chatClient"/> in a <see cref="PandaProbeChatClient"/>: every call becomes an LLM span
    /// (a child of the current span when a trace is open in the flow, otherwise a standalone trace).
    /// </summary>
    /// <param name="chatClient">The chat client to trace.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <c>chat</c>).</param>
    /// <returns>The tracing chat client.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chatClient"/> is <c>null</c>.</exception>
    public static IChatClient WithPandaProbe(this IChatClient chatClient, PandaProbeClient? client = null, string? spanName = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        return new PandaProbeChatClient(chatClient, client, spanName);
    }
}
