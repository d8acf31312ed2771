using System.Diagnostics;
using System.Text.Json.Nodes;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Writes what a stopped gen_ai <see cref="Activity"/> reports onto the span (and the trace it opened) that stands for
/// it, with the keys <see cref="LlmCall"/>, <see cref="ToolTracing"/> and <see cref="PandaProbeEmbeddingGenerator"/>
/// use. Does not end them. Callers guard it. When an inner PandaProbe layer already wrote the call's details onto the
/// span (<c>filledInside</c>), its richer input, output, model, parameters and usage are kept, and only what the
/// activity alone knows (its metadata and error) is added. Parts already written by an inner activity that is the same
/// call (<c>skip</c>) are kept likewise.
/// </summary>
internal static class ActivityRecorder
{
    /// <summary>The parts of a call's record that one writer put on a span, so that another leaves them.</summary>
    [Flags]
    internal enum Parts
    {
        None = 0,
        Input = 1,
        Output = 2,
        Model = 4,
        Usage = 8,
        Parameters = 16,
        All = Input | Output | Model | Usage | Parameters,
    }

    /// <summary>What <see cref="Record"/> wrote: the parts, and the input and output it read (messages form for model calls).</summary>
    internal readonly record struct Written(Parts Parts, object? Input, object? Output);

    public static Written Record(Activity activity, SpanContext span, SpanType kind, TraceContext? ownedTrace, bool filledInside,
        Parts skip = Parts.None)
    {
        if (filledInside) skip = Parts.All;
        var written = Parts.None;
        // The Agent Framework's activity starts as "chat" (an AGENT span) and is renamed invoke_agent as it ends; one
        // that stayed a chat was a model call, recorded as an LLM span is (its span keeps the kind it started with).
        if (GenAiActivityMapping.StayedChat(activity, kind)) kind = SpanType.Llm;
        // Messages are parsed only when they are written: onto the span unless another layer wrote them, or onto the
        // trace the activity opened.
        var messages = (skip & (Parts.Input | Parts.Output)) != (Parts.Input | Parts.Output) || ownedTrace is not null;
        var metadata = new Dictionary<string, object?>();
        object? input = null, output = null;
        var requested = GenAiActivityMapping.Text(activity, "gen_ai.request.model") is { Length: > 0 } r ? r : null;
        var reported = GenAiActivityMapping.Text(activity, "gen_ai.response.model") is { Length: > 0 } m ? m : null;
        if ((skip & Parts.Model) == 0 && (reported ?? requested) is { } model)
        {
            span.SetModel(model);
            written |= Parts.Model;
        }
        if (requested is not null && reported is not null && !string.Equals(requested, reported, StringComparison.Ordinal))
        {
            metadata["gen_ai.request.model"] = requested;
            metadata["gen_ai.response.model"] = reported;
        }
        if (GenAiGenerations.Provider(activity) is { } provider) metadata["provider"] = provider;

        switch (kind)
        {
            case SpanType.Llm:
                if (messages)
                {
                    input = GenAiGenerations.Input(activity);
                    output = GenAiGenerations.Output(activity);
                }
                var parameters = GenAiActivityMapping.ModelParameters(activity);
                if (parameters.Count > 0 && (skip & Parts.Parameters) == 0)
                {
                    span.SetModelParameters(parameters);
                    written |= Parts.Parameters;
                }
                if (activity.GetTagItem("gen_ai.request.stream") is bool stream) metadata["stream"] = stream;
                if (GenAiJsonTags.ToolDefinitions(activity) is { } tools)
                    metadata["tools"] = tools;   // already {"type","name","description","parameters"} objects
                if (GenAiActivityMapping.Text(activity, "gen_ai.response.id") is { Length: > 0 } responseId) metadata["response_id"] = responseId;
                if (GenAiJsonTags.FinishReason(activity) is { } reason) metadata["finish_reason"] = reason;   // one string, or several
                // An agent run around this call leaves these tokens to this span (RunUsage).
                if ((skip & Parts.Usage) == 0 && RecordUsage(activity, span, countsForRun: true)) written |= Parts.Usage;
                break;
            case SpanType.Embedding:
                if (activity.GetTagItem("gen_ai.embeddings.dimension.count") is { } dimensions) metadata["dimensions"] = dimensions;
                if ((skip & Parts.Usage) == 0 && RecordUsage(activity, span, countsForRun: false)) written |= Parts.Usage;
                break;
            case SpanType.Tool:
                if (messages)
                {
                    input = GenAiJsonTags.Value(activity, "gen_ai.tool.call.arguments");
                    output = GenAiJsonTags.Value(activity, "gen_ai.tool.call.result");
                }
                if (GenAiActivityMapping.Text(activity, "gen_ai.tool.call.id") is { Length: > 0 } callId) metadata["tool_call_id"] = callId;
                if (GenAiActivityMapping.Text(activity, "gen_ai.tool.description") is { Length: > 0 } description) metadata["tool_description"] = description;
                break;
            case SpanType.Agent:
                if (messages)
                {
                    input = GenAiGenerations.Input(activity);
                    output = GenAiGenerations.Output(activity);
                }
                // The run's usage is the sum of its model calls, which have LLM spans of their own: kept apart from
                // token_usage so that it is not counted twice.
                if (GenAiActivityMapping.Usage(activity) is var (runPrompt, runCompletion, runExtra))
                {
                    var runUsage = new JsonObject { [TokenUsage.PromptKey] = runPrompt, [TokenUsage.CompletionKey] = runCompletion };
                    foreach (var (key, value) in runExtra) runUsage[key] = value;
                    metadata["run_token_usage"] = runUsage;
                }
                if (GenAiActivityMapping.Text(activity, "gen_ai.agent.name") is { Length: > 0 } agentName) metadata["agent_name"] = agentName;
                if (GenAiActivityMapping.Text(activity, "gen_ai.agent.id") is { Length: > 0 } agentId) metadata["agent_id"] = agentId;
                if (GenAiActivityMapping.Text(activity, "gen_ai.agent.description") is { Length: > 0 } about) metadata["agent_description"] = about;
                break;
        }
        if (input is not null && (skip & Parts.Input) == 0)
        {
            span.SetInput(input);
            written |= Parts.Input;
        }
        if (output is not null && (skip & Parts.Output) == 0)
        {
            span.SetOutput(output);
            written |= Parts.Output;
        }
        if (metadata.Count > 0) span.SetMetadata(metadata);

        var error = GenAiActivityMapping.Error(activity);
        if (error is var (message, data)) span.SetError(message, data);

        if (ownedTrace is not null)
        {
            var forms = kind is SpanType.Llm or SpanType.Agent;
            if (input is not null) ownedTrace.SetInput(forms ? LastWithRole(input, "user") : input);
            if (output is not null) ownedTrace.SetOutput(forms ? LastWithRole(output, "assistant") : output);
            if (error is var (traceMessage, _)) ownedTrace.SetError(traceMessage);
        }
        return new Written(written, input, output);
    }

    /// <summary>
    /// The last message with <paramref name="role"/> of a messages form (a tree, or a captured payload of the parts
    /// form), else the form itself.
    /// </summary>
    static object LastWithRole(object form, string role) => form switch
    {
        JsonObject tree => ChatTelemetry.LastWithRole(tree, role) ?? form,
        Payload captured => ChatTelemetry.LastWithRole(captured, role) ?? form,
        _ => form,
    };

    /// <summary>
    /// Records the activity's token usage; <paramref name="countsForRun"/>: a model call's, which an agent run around it
    /// then leaves to this span (embeddings are not in an agent's reported usage).
    /// </summary>
    static bool RecordUsage(Activity activity, SpanContext span, bool countsForRun)
    {
        if (GenAiActivityMapping.Usage(activity) is not var (prompt, completion, extra)) return false;
        span.SetTokenUsage(prompt, completion, extra);
        if (countsForRun) RunUsage.Note(prompt, completion);
        return true;
    }
}
