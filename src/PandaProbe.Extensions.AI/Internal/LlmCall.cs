using PandaProbe.Model;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The telemetry of one chat call: an LLM span, under the flow's current trace or inside a standalone trace of its
/// own. Every member swallows telemetry failures (they are reported to <see cref="SelfLog"/>) and finalization happens
/// exactly once, whichever of <see cref="Complete"/>, <see cref="CompleteStream"/> or <see cref="Fail"/> comes first.
/// </summary>
internal sealed class LlmCall : IStreamTelemetry<ChatResponseUpdate>
{
    readonly SpanContext span;
    readonly TraceContext? standalone;
    readonly TimeProvider time;
    readonly string? requestedModel;
    /// <summary><c>false</c> when the span belongs to an ingested activity, which ends it.</summary>
    readonly bool owned;
    readonly List<ChatResponseUpdate> updates = new();
    int finished;
    bool sawFirstUpdate;
    /// <summary>The ingested tool loop this call belongs to, which keeps its response.</summary>
    LoopNotes? loop;
    /// <summary>The tool loop (of a PandaProbe source) whose trace this call is in, told when the call fails.</summary>
    ToolLoopActivities.Loop? toolLoop;

    LlmCall(SpanContext span, TraceContext? standalone, TimeProvider time, string? requestedModel, bool owned = true)
    {
        this.owned = owned;
        this.span = span;
        this.standalone = standalone;
        this.time = time;
        this.requestedModel = requestedModel;
    }

    /// <summary>
    /// Opens the span (and the standalone trace when no trace is open in this flow). <c>null</c> means "do not
    /// instrument": tracing is off, or opening failed. <paramref name="self"/> is the calling
    /// <see cref="PandaProbeChatClient"/>; <paramref name="target"/> the PandaProbe layer beneath it that is the same call
    /// (see <see cref="GenAiClaims"/>).
    /// </summary>
    public static LlmCall? TryStart(PandaProbeClient? client, string name, IReadOnlyList<ChatMessage> messages,
        ChatOptions? options, ChatClientMetadata? metadata, TimeProvider time, bool streaming, object self, object? target)
    {
        TraceContext? standalone = null;
        try
        {
            var input = ChatTelemetry.MessagesForm(messages, options?.Instructions);
            var model = options?.ModelId ?? metadata?.DefaultModelId;
            var spanMetadata = new Dictionary<string, object?> { ["stream"] = streaming };
            ChatTelemetry.AddProvider(spanMetadata, metadata?.ProviderName, metadata?.ProviderUri);
            if (ChatTelemetry.ToolDefinitions(options) is { } tools) spanMetadata["tools"] = tools;
            var parameters = ChatTelemetry.ModelParameters(options);
            // A tool loop around this call (its orchestrate_tools activity, PandaProbe's or ingested) keeps its first
            // request (a copy: the loop reuses its lists).
            var toolLoop = ToolLoopActivities.Current();
            var loop = toolLoop is not null ? toolLoop.Notes : LoopNotes.Around(System.Diagnostics.Activity.Current);
            if (loop is { HasRequest: false }) loop.Request(ChatTelemetry.MessagesForm(messages.ToArray(), options?.Instructions));

            // An outer layer records this call: nothing more when it is PandaProbe middleware; when it is the span of
            // an ingested gen_ai activity, this call's details go onto that span, which the activity ends.
            if (GenAiClaims.Claimant(SpanType.Llm, self, out var shared) is { } claimant)
            {
                if (!shared) return null;
                if (model is not null) claimant.SetModel(model);
                claimant.SetMetadata(spanMetadata);
                claimant.SetInput(input);
                if (parameters.Count > 0) claimant.SetModelParameters(parameters);
                return new LlmCall(claimant, null, time, model, owned: false) { loop = loop, toolLoop = toolLoop };
            }

            var trace = Probe.CurrentTrace;
            SpanContext? parent = null;
            if (trace is not { IsRecording: true } && toolLoop is { Trace: { EndedAt: null } loopTrace })
            {
                // A streamed loop's later pulls run in the consumer's flow, where the trace the loop opened is not current.
                trace = loopTrace;
                parent = toolLoop.Parent is { EndedAt: null } loopParent ? loopParent : null;
            }
            if (trace is not { IsRecording: true })
            {
                client ??= Probe.Client;
                if (!client.IsEnabled) return null;
                standalone = client.StartTrace(name, input: input.LastWithRole("user"));
                trace = standalone;
            }

            var span = trace.Span(name, SpanType.Llm, model, spanMetadata, parent: parent, makeCurrent: !streaming);
            GenAiClaims.Claim(SpanType.Llm, span, target: target);
            span.SetInput(input);
            if (parameters.Count > 0) span.SetModelParameters(parameters);
            return new LlmCall(span, standalone, time, model) { loop = loop, toolLoop = toolLoop };
        }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not start '{name}': {ex.Message}");
            try { standalone?.End(); } catch (Exception) { }
            return null;
        }
    }

    /// <summary>
    /// Opens the LLM span of one model call of a tool loop that no layer inside records (see <see cref="ModelTurns"/>):
    /// under <paramref name="parent"/> of <paramref name="trace"/>, not current; its input is set now when known
    /// (<paramref name="messages"/>), else later with <see cref="SetInput"/>. <c>null</c> when it could not be opened.
    /// </summary>
    public static LlmCall? StartTurn(TraceContext trace, SpanContext? parent, string name, IReadOnlyList<ChatMessage>? messages,
        ChatOptions? options, ChatClientMetadata? metadata, TimeProvider time, bool streaming)
    {
        try
        {
            var model = options?.ModelId ?? metadata?.DefaultModelId;
            var spanMetadata = new Dictionary<string, object?> { ["stream"] = streaming };
            ChatTelemetry.AddProvider(spanMetadata, metadata?.ProviderName, metadata?.ProviderUri);
            if (ChatTelemetry.ToolDefinitions(options) is { } tools) spanMetadata["tools"] = tools;
            var parameters = ChatTelemetry.ModelParameters(options);
            var span = trace.Span(name, SpanType.Llm, model, spanMetadata, parent: parent is { EndedAt: null } ? parent : null, makeCurrent: false);
            if (!span.IsRecording) return null;
            if (messages is not null) span.SetInput(ChatTelemetry.MessagesForm(messages, options?.Instructions));
            if (parameters.Count > 0) span.SetModelParameters(parameters);
            return new LlmCall(span, null, time, model);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not start '{name}': {ex.Message}");
            return null;
        }
    }

    /// <summary>Sets the call's request (messages form), for a call whose request was known only after it started.</summary>
    public void SetInput(IReadOnlyList<ChatMessage> messages, string? instructions)
    {
        try { span.SetInput(ChatTelemetry.MessagesForm(messages, instructions)); }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the request: {ex.Message}"); }
    }

    /// <summary>Adds metadata to the call's span.</summary>
    public void SetMetadata(IReadOnlyDictionary<string, object?> metadata)
    {
        try { span.SetMetadata(metadata); }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
    }

    /// <summary>Records one streamed update: the first one sets the completion start time.</summary>
    public void Observe(ChatResponseUpdate update)
    {
        try
        {
            if (Volatile.Read(ref finished) != 0 || update is null) return;
            lock (updates)
            {
                updates.Add(update);
                if (sawFirstUpdate) return;
                sawFirstUpdate = true;
            }
            span.SetCompletionStartTime(time.GetUtcNow());
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
    }

    /// <summary>Finalizes a stream from the updates seen so far; <paramref name="incomplete"/> when the consumer stopped early.</summary>
    public void CompleteStream(bool incomplete)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        Finish(Combined() ?? new ChatResponse(), incomplete);
    }

    /// <summary>Finalizes a non-streaming call with its response.</summary>
    public void Complete(ChatResponse response)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        Finish(response, incomplete: false);
    }

    /// <summary>Records <paramref name="exception"/> on the span (and the standalone trace) and ends them.</summary>
    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        toolLoop?.Failed(exception);
        ChatMessages? output = null;
        try
        {
            var partial = Combined();
            if (partial is not null) output = Record(partial, incomplete: false);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record a partial stream: {ex.Message}"); }
        try
        {
            if (output is not null) standalone?.SetOutput(output.LastWithRole("assistant") ?? output);
            span.Fail(exception);
            if (owned) span.End();
            if (standalone is not null)
            {
                standalone.Fail(exception);
                standalone.End();
            }
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record a failure: {ex.Message}"); }
    }

    /// <summary>The updates seen so far combined into one response; <c>null</c> when there are none or they cannot be combined.</summary>
    ChatResponse? Combined()
    {
        try
        {
            ChatResponseUpdate[] seen;
            lock (updates) seen = updates.ToArray();
            return seen.Length == 0 ? null : seen.ToChatResponse();
        }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not combine the stream: {ex.Message}");
            return null;
        }
    }

    /// <summary>Records the response (output, response model and id, usage, finish reason) on the span; returns the output.</summary>
    ChatMessages? Record(ChatResponse? response, bool incomplete)
    {
        ChatMessages? output = null;
        var metadata = new Dictionary<string, object?>();
        if (response is not null)
        {
            output = ChatTelemetry.MessagesForm(response.Messages);
            span.SetOutput(output);
            loop?.Response(ChatTelemetry.MessagesForm(response.Messages.ToArray()));
            if (!string.IsNullOrEmpty(response.ModelId))
            {
                span.SetModel(response.ModelId);
                if (requestedModel is not null && !string.Equals(requestedModel, response.ModelId, StringComparison.Ordinal))
                {
                    metadata["gen_ai.request.model"] = requestedModel;
                    metadata["gen_ai.response.model"] = response.ModelId;
                }
            }
            if (!string.IsNullOrEmpty(response.ResponseId)) metadata["response_id"] = response.ResponseId;
            if (ChatTelemetry.Usage(response.Usage) is var (prompt, completion, extra))
            {
                span.SetTokenUsage(prompt, completion, extra);
                RunUsage.Note(prompt, completion);   // an agent run around this call leaves these tokens to this span
            }
        }
        if (response?.FinishReason is { } reason) metadata["finish_reason"] = reason.Value;
        if (response is not null && ChatTelemetry.ReasoningSummary(response.Messages) is { } reasoning)
            metadata["reasoning_summary"] = reasoning;
        if (incomplete) metadata["stream_incomplete"] = true;
        if (metadata.Count > 0) span.SetMetadata(metadata);
        return output;
    }

    void Finish(ChatResponse? response, bool incomplete)
    {
        ChatMessages? output = null;
        try
        {
            output = Record(response, incomplete);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the response: {ex.Message}"); }
        finally
        {
            try { if (owned) span.End(); } catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
        }

        if (standalone is null) return;
        try
        {
            if (output is not null) standalone.SetOutput(output.LastWithRole("assistant") ?? output);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the trace output: {ex.Message}"); }
        finally
        {
            try { standalone.End(); } catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
        }
    }
}
