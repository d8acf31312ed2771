using System.Runtime.CompilerServices;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.AI.Internal;

namespace PandaProbe.Agents.AI.Internal;

/// <summary>
/// An <see cref="AIAgent"/> decorator that records each run as one AGENT span, current while the inner agent runs,
/// and installs TOOL spans on the inner agent's function-invoking chat client. Responses, updates and exceptions
/// reach the caller unchanged.
/// </summary>
internal sealed class PandaProbeAgent : DelegatingAIAgent
{
    /// <summary>The span name when the agent has no name.</summary>
    internal const string DefaultSpanName = "agent";

    readonly PandaProbeClient? client;
    readonly Lazy<AgentFacts> facts;

    public PandaProbeAgent(AIAgent innerAgent, PandaProbeClient? client)
        : base(innerAgent)
    {
        this.client = client;
        facts = new Lazy<AgentFacts>(ReadFacts, LazyThreadSafetyMode.ExecutionAndPublication);
        InstallToolTracing(innerAgent);
    }

    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session = null,
        AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = Materialize(messages);
        var measured = AgentRunMetrics.Start(facts.Value.Name, facts.Value.DefaultModel, this, SameRun());
        var run = AgentRun.TryStart(client, facts.Value, list, streaming: false, this, SameRun());
        if (run is null && measured is null) return await InnerAgent.RunAsync(list, session, options, cancellationToken).ConfigureAwait(false);

        AgentResponse response;
        try
        {
            response = await InnerAgent.RunAsync(list, session, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            measured?.Failed(ex);
            run?.Fail(ex);
            throw;
        }
        measured?.Succeeded(AgentRun.ModelOf(response), response?.Usage);
        run?.Complete(response!);
        return response!;
    }

    protected override IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(IEnumerable<ChatMessage> messages,
        AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default) =>
        Stream(Materialize(messages), session, options, cancellationToken);

    async IAsyncEnumerable<AgentResponseUpdate> Stream(IReadOnlyList<ChatMessage> messages, AgentSession? session,
        AgentRunOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var measured = AgentRunMetrics.Start(facts.Value.Name, facts.Value.DefaultModel, this, SameRun());
        var run = AgentRun.TryStart(client, facts.Value, messages, streaming: true, this, SameRun());
        if (run is null && measured is null)
        {
            await foreach (var update in InnerAgent.RunStreamingAsync(messages, session, options, cancellationToken).ConfigureAwait(false))
                yield return update;
            yield break;
        }

        // The span is current in this flow only until the first yield; the inner agent's model and tool calls run
        // while its stream is pulled, so every pull runs in the flow captured while the span was current.
        IStreamTelemetry<AgentResponseUpdate> telemetry = measured is null ? run! : new MeasuredRun(run, measured);
        await foreach (var update in ObservedStream.Pass(ct => InnerAgent.RunStreamingAsync(messages, session, options, ct), telemetry,
            ExecutionContext.Capture(), cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>A streamed run watched by its span (when traced) and its metrics.</summary>
    sealed class MeasuredRun(AgentRun? run, AgentRunMetrics measured) : IStreamTelemetry<AgentResponseUpdate>
    {
        readonly List<AgentResponseUpdate> updates = [];

        public void Observe(AgentResponseUpdate update)
        {
            if (update is not null) lock (updates) updates.Add(update);
            run?.Observe(update!);
        }

        public void Fail(Exception exception)
        {
            measured.Failed(exception);
            run?.Fail(exception);
        }

        public void CompleteStream(bool incomplete)
        {
            try
            {
                AgentResponseUpdate[] seen;
                lock (updates) seen = [.. updates];
                var response = seen.Length == 0 ? null : seen.ToAgentResponse();
                var model = seen.Select(u => (u.RawRepresentation as ChatResponseUpdate)?.ModelId).LastOrDefault(m => !string.IsNullOrEmpty(m));
                measured.Succeeded(model, response?.Usage);
            }
            catch (Exception ex)
            {
                SelfLog.Write($"agent metrics: {ex.Message}");
                measured.Succeeded(null, null);
            }
            run?.CompleteStream(incomplete);
        }
    }

    AgentFacts ReadFacts()
    {
        string name = DefaultSpanName;
        string? id = null, description = null, instructions = null, model = null;
        var ownCallsOnly = false;
        try
        {
            if (!string.IsNullOrWhiteSpace(InnerAgent.Name)) name = InnerAgent.Name;
            id = InnerAgent.Id;
            description = InnerAgent.Description;
            var chatAgent = InnerAgent.GetService(typeof(ChatClientAgent)) as ChatClientAgent;
            instructions = chatAgent?.Instructions;
            model = (InnerAgent.GetService(typeof(ChatOptions)) as ChatOptions)?.ModelId
                ?? (InnerAgent.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata)?.DefaultModelId;
            // The framework's own agent (also behind its OpenTelemetry layer, which passes the usage through); an
            // agent of another kind may or may not put the runs it calls into its usage.
            ownCallsOnly = InnerAgent is ChatClientAgent || (InnerAgent is OpenTelemetryAgent && chatAgent is not null);
        }
        catch (Exception ex) { SelfLog.Write($"agent instrumentation could not describe the agent: {ex.Message}"); }
        return new AgentFacts(name, id, description, instructions, model, ownCallsOnly);
    }

    /// <summary>
    /// The wrapper a run of this agent reaches as the same run: the next <see cref="PandaProbeAgent"/> of the pipeline
    /// beneath (through delegating agents such as the framework's <c>OpenTelemetryAgent</c>), else the inner agent.
    /// Other traced agents the inner agent calls (an orchestrator's sub-agents) record runs of their own.
    /// </summary>
    object SameRun()
    {
        try { return InnerAgent.GetService(typeof(PandaProbeAgent)) as PandaProbeAgent ?? (object)InnerAgent; }
        catch (Exception) { return InnerAgent; }
    }

    static void InstallToolTracing(AIAgent agent)
    {
        try
        {
            if (agent.GetService(typeof(FunctionInvokingChatClient)) is FunctionInvokingChatClient invoking)
                ToolTracing.Install(invoking);
        }
        catch (Exception ex) { SelfLog.Write($"agent instrumentation could not trace the agent's tool calls: {ex.Message}"); }
    }

    static IReadOnlyList<ChatMessage> Materialize(IEnumerable<ChatMessage> messages) =>
        messages as IReadOnlyList<ChatMessage> ?? (messages ?? []).ToList();
}
