using System.Diagnostics;
using System.Text.Json.Nodes;
using PandaProbe.Extensions.AI.Internal;
using PandaProbe.Model;
using Parts = PandaProbe.Extensions.AI.Internal.ActivityRecorder.Parts;
using Written = PandaProbe.Extensions.AI.Internal.ActivityRecorder.Written;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// The reference for <see cref="GenAiJsonTagsCharacterizationTests"/>: <c>ActivityRecorder.Record</c> as it was before
/// the tool definitions, the finish reasons and a tool call's arguments and result were streamed, reading those tags
/// with <c>GenAiActivityMapping.Json</c>'s node tree (<see cref="LegacyPartsForm.Json"/>, the same code), kept unchanged
/// but for that name (the messages it reads with the current <see cref="GenAiGenerations"/>, which
/// <see cref="GenAiPartsFormCharacterizationTests"/> holds to its own reference). It must not be "fixed": it is what
/// the wire was.
/// </summary>
internal static class LegacyActivityRecorder
{
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
                if (LegacyPartsForm.Json(activity, "gen_ai.tool.definitions") is JsonArray tools)
                    metadata["tools"] = tools;   // already {"type","name","description","parameters"} objects
                if (GenAiActivityMapping.Text(activity, "gen_ai.response.id") is { Length: > 0 } responseId) metadata["response_id"] = responseId;
                var reasons = activity.GetTagItem("gen_ai.response.finish_reasons") switch
                {
                    string[] list => list,
                    string text when text.StartsWith('[') && LegacyPartsForm.Json(activity, "gen_ai.response.finish_reasons") is JsonArray json =>
                        json.Select(r => r?.ToString()).OfType<string>().ToArray(),
                    string single => [single],
                    _ => GenAiActivityMapping.Text(activity, "gen_ai.response.finish_reason") is { Length: > 0 } one ? [one]
                        : GenAiGenerations.ChoiceFinishReasons(activity),
                };
                if (reasons.Length == 1) metadata["finish_reason"] = reasons[0];
                else if (reasons.Length > 1) metadata["finish_reason"] = reasons;
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
                    input = LegacyPartsForm.Json(activity, "gen_ai.tool.call.arguments");
                    output = LegacyPartsForm.Json(activity, "gen_ai.tool.call.result");
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
