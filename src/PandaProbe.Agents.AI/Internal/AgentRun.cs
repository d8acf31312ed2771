using System.Text.Json.Nodes;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI.Internal;
using PandaProbe.Model;

namespace PandaProbe.Agents.AI.Internal;

/// <summary>What a traced agent knows about the agent it wraps, read once.</summary>
/// <param name="Name">The span (and standalone trace) name.</param>
/// <param name="Id">The agent's id.</param>
/// <param name="Description">The agent's description.</param>
/// <param name="Instructions">A <see cref="ChatClientAgent"/>'s instructions.</param>
/// <param name="DefaultModel">The model the agent asks for when its responses name none.</param>
/// <param name="ReportsOwnCallsOnly">A <see cref="ChatClientAgent"/>: its reported usage sums its own model calls only.</param>
internal sealed record AgentFacts(string Name, string? Id, string? Description, string? Instructions, string? DefaultModel,
    bool ReportsOwnCallsOnly = false);

/// <summary>
/// The telemetry of one agent run: an AGENT span, under the flow's current trace or as the root span of a trace of
/// its own. Every member swallows telemetry failures (they go to <see cref="SelfLog"/>); the span and the trace end
/// exactly once, whichever of <see cref="Complete"/>, <see cref="CompleteStream"/> or <see cref="Fail"/> comes first.
/// </summary>
internal sealed class AgentRun : IStreamTelemetry<AgentResponseUpdate>
{
    readonly SpanContext span;
    readonly TraceContext? standalone;
    readonly AgentFacts facts;
    readonly bool owned;
    readonly RunUsage? usage;
    readonly List<AgentResponseUpdate> updates = new();
    int finished;

    AgentRun(SpanContext span, TraceContext? standalone, AgentFacts facts, bool owned = true)
    {
        // Current in the run's flow (for a stream: in the flow the wrapper captures), so the model calls inside can
        // say they recorded their usage on spans of their own.
        usage = RunUsage.Begin();
        this.span = span;
        this.standalone = standalone;
        this.facts = facts;
        this.owned = owned;
    }

    /// <summary>
    /// Opens the AGENT span, current in this flow (and first a trace when none is open). <c>null</c> means "do not
    /// instrument": tracing is off, or opening failed, or an outer wrapper of the same agent records the run.
    /// <paramref name="self"/> is the calling wrapper; <paramref name="target"/> the wrapper beneath it that is the
    /// same run (see <see cref="GenAiClaims"/>): other traced agents this run calls record runs of their own.
    /// </summary>
    public static AgentRun? TryStart(PandaProbeClient? client, AgentFacts facts, IReadOnlyList<ChatMessage> messages, bool streaming,
        object self, object? target)
    {
        TraceContext? standalone = null;
        try
        {
            var input = ChatTelemetry.MessagesForm(messages);
            var metadata = new Dictionary<string, object?> { ["stream"] = streaming };
            if (!string.IsNullOrEmpty(facts.Id)) metadata["agent_id"] = facts.Id;
            if (!string.IsNullOrEmpty(facts.Description)) metadata["agent_description"] = facts.Description;
            if (!string.IsNullOrEmpty(facts.Instructions)) metadata["instructions"] = facts.Instructions;

            // Another layer records this run already (GenAiClaims): an outer PandaProbe wrapper of this agent, then
            // nothing more; an ingested invoke_agent activity (an OpenTelemetryAgent outside this one), then this run's
            // details go onto its span, which the activity ends.
            if (GenAiClaims.Claimant(SpanType.Agent, self, out var shared) is { } claimant)
            {
                if (!shared) return null;
                metadata["agent_name"] = facts.Name;
                claimant.SetMetadata(metadata);
                claimant.SetInput(input);
                return new AgentRun(claimant, null, facts, owned: false);
            }

            var trace = Probe.CurrentTrace;
            if (trace is not { IsRecording: true })
            {
                client ??= Probe.Client;
                if (!client.IsEnabled) return null;
                standalone = client.StartTrace(facts.Name, input: input.LastWithRole("user") ?? input);
                if (!standalone.IsRecording) return null;
                trace = standalone;
            }

            var span = trace.Span(facts.Name, SpanType.Agent, metadata: metadata);
            GenAiClaims.Claim(SpanType.Agent, span, target: target);   // an OpenTelemetryAgent inside records no second AGENT span
            span.SetInput(input);
            return new AgentRun(span, standalone, facts);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"agent instrumentation could not start '{facts.Name}': {ex.Message}");
            try { standalone?.End(); } catch (Exception) { }
            return null;
        }
    }

    /// <summary>Keeps one streamed update.</summary>
    public void Observe(AgentResponseUpdate update)
    {
        if (update is null || Volatile.Read(ref finished) != 0) return;
        lock (updates) updates.Add(update);
    }

    /// <summary>Finalizes a non-streaming run with its response.</summary>
    public void Complete(AgentResponse response)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        Finish(response, incomplete: false, failure: null);
    }

    /// <summary>Finalizes a stream from the updates seen; <paramref name="incomplete"/> when the consumer stopped early.</summary>
    public void CompleteStream(bool incomplete)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        Finish(Combined(), incomplete, failure: null);
    }

    /// <summary>Records <paramref name="exception"/> (keeping what a stream delivered before it) and ends the span and trace.</summary>
    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        Finish(Combined(), incomplete: false, failure: exception);
    }

    AgentResponse? Combined()
    {
        try
        {
            AgentResponseUpdate[] seen;
            lock (updates) seen = updates.ToArray();
            return seen.Length == 0 ? null : seen.ToAgentResponse();
        }
        catch (Exception ex)
        {
            SelfLog.Write($"agent instrumentation could not combine the stream: {ex.Message}");
            return null;
        }
    }

    void Finish(AgentResponse? response, bool incomplete, Exception? failure)
    {
        ChatMessages? output = null;
        try
        {
            output = Record(response, incomplete);
            if (failure is not null && owned) span.Fail(failure);
        }
        catch (Exception ex) { SelfLog.Write($"agent instrumentation could not record the run: {ex.Message}"); }
        finally
        {
            // A span this run does not own (an ingested activity's) is ended, with its status, by its activity.
            if (owned)
                try { span.End(); } catch (Exception ex) { SelfLog.Write($"agent instrumentation: {ex.Message}"); }
        }

        if (standalone is null) return;
        try
        {
            if (output is not null) standalone.SetOutput(output);
            if (failure is not null) standalone.Fail(failure);
        }
        catch (Exception ex) { SelfLog.Write($"agent instrumentation could not record the trace output: {ex.Message}"); }
        finally
        {
            try { standalone.End(); } catch (Exception ex) { SelfLog.Write($"agent instrumentation: {ex.Message}"); }
        }
    }

    /// <summary>Records the final assistant message, usage and response details on the span; returns the output.</summary>
    ChatMessages? Record(AgentResponse? response, bool incomplete)
    {
        var metadata = new Dictionary<string, object?>();
        ChatMessages? output = null;
        if (response is not null)
        {
            var form = ChatTelemetry.MessagesForm(response.Messages);
            output = form.LastWithRole("assistant");
            if (output is not null) span.SetOutput(output);
            if (!string.IsNullOrEmpty(response.ResponseId)) metadata["response_id"] = response.ResponseId;
            if (response.FinishReason is { } reason) metadata["finish_reason"] = reason.Value;
            if (ChatTelemetry.Usage(response.Usage) is var (prompt, completion, extra))
            {
                if (usage?.Recorded == true)
                {
                    // Spans beneath (LLM spans of a traced chat client or of ingested chat activities, or nested
                    // AGENT spans) carry part or all of the usage and are priced: the run's sum is kept as metadata,
                    // and only what no span beneath carries (the run's own untraced model calls, say an orchestrator
                    // whose tools are traced agents) is this span's token usage, so every total counts each token once.
                    var sum = new Dictionary<string, object?> { [TokenUsage.PromptKey] = prompt, [TokenUsage.CompletionKey] = completion };
                    foreach (var (key, value) in extra) sum[key] = value;
                    metadata["run_token_usage"] = sum;
                    // A ChatClientAgent reports the usage of its own model calls only (not of agents it calls as
                    // tools); of another agent it is unknown whether nested runs are in it, so all noted usage counts.
                    var ownPrompt = Math.Max(0, prompt - (facts.ReportsOwnCallsOnly ? usage.DirectPrompt : usage.Prompt));
                    var ownCompletion = Math.Max(0, completion - (facts.ReportsOwnCallsOnly ? usage.DirectCompletion : usage.Completion));
                    if (ownPrompt + ownCompletion > 0) RecordOwn(response, ownPrompt, ownCompletion, null);
                }
                else RecordOwn(response, prompt, completion, extra);
            }
        }
        if (incomplete) metadata["stream_incomplete"] = true;
        if (metadata.Count > 0) span.SetMetadata(metadata);
        return output;
    }

    /// <summary>Token usage (and the model, for pricing) on this span, noted for the runs around it.</summary>
    void RecordOwn(AgentResponse response, long prompt, long completion, IReadOnlyDictionary<string, long>? extra)
    {
        if ((ModelOf(response) ?? StreamModel() ?? facts.DefaultModel) is { Length: > 0 } model) span.SetModel(model);
        span.SetTokenUsage(prompt, completion, extra);
        usage?.NoteOuter(prompt, completion);   // an agent run around this one leaves these tokens to this span
    }

    /// <summary>The model a run's response reports, when it wraps a chat response.</summary>
    internal static string? ModelOf(AgentResponse? response) => (response?.RawRepresentation as ChatResponse)?.ModelId;

    /// <summary>The last model a streamed update reported, or <c>null</c>.</summary>
    string? StreamModel()
    {
        lock (updates)
            for (var i = updates.Count - 1; i >= 0; i--)
                if ((updates[i].RawRepresentation as ChatResponseUpdate)?.ModelId is { Length: > 0 } model)
                    return model;
        return null;
    }
}
