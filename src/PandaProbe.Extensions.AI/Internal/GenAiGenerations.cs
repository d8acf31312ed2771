using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Reads what a gen_ai <see cref="Activity"/> reports in any generation of the conventions into one model, so the
/// ingestion records the same span whatever library (and whichever version of the conventions) emitted it:
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>what</term><description>accepted, newest first</description></listheader>
/// <item><term>provider</term><description><c>gen_ai.provider.name</c> (v1.37+, semantic-conventions-genai v0.1.0),
/// <c>gen_ai.system</c> (v1.36 and before)</description></item>
/// <item><term>input and output tokens</term><description><c>gen_ai.usage.input_tokens</c> /
/// <c>gen_ai.usage.output_tokens</c>, <c>gen_ai.usage.prompt_tokens</c> / <c>gen_ai.usage.completion_tokens</c>
/// (deprecated in v1.27)</description></item>
/// <item><term>cache tokens</term><description><c>gen_ai.usage.cache_read.input_tokens</c>; writes as
/// <c>gen_ai.usage.cache_write.input_tokens</c> (v0.1.0) or <c>gen_ai.usage.cache_creation.input_tokens</c> (v1.41);
/// <c>gen_ai.usage.reasoning.output_tokens</c></description></item>
/// <item><term>messages</term><description>the <c>gen_ai.input.messages</c> / <c>gen_ai.output.messages</c> /
/// <c>gen_ai.system_instructions</c> attributes (v1.37+), on the activity or on its
/// <c>gen_ai.client.inference.operation.details</c> event; the per-message events of v1.27–v1.36
/// (<c>gen_ai.system.message</c>, <c>gen_ai.user.message</c>, <c>gen_ai.assistant.message</c>,
/// <c>gen_ai.tool.message</c>, <c>gen_ai.choice</c>, their body in <c>gen_ai.event.content</c> or as attributes); the
/// deprecated <c>gen_ai.content.prompt</c> / <c>gen_ai.content.completion</c> events (<c>gen_ai.prompt</c> /
/// <c>gen_ai.completion</c>, also read as attributes)</description></item>
/// <item><term>operation</term><description><c>gen_ai.operation.name</c>, with Semantic Kernel's older
/// <c>chat.completions</c> and <c>text.completions</c></description></item>
/// </list>
/// Messages of every form become PandaProbe's messages form (<c>{"messages":[{"role":…,"content":…,"tool_calls":[…]}]}</c>).
/// Pure; members return <c>null</c> for what the activity does not report.
/// </remarks>
internal static class GenAiGenerations
{
    const string DetailsEvent = "gen_ai.client.inference.operation.details";

    /// <summary>The provider: <c>gen_ai.provider.name</c>, else <c>gen_ai.system</c>.</summary>
    public static string? Provider(Activity activity) =>
        NonEmpty(GenAiActivityMapping.Text(activity, "gen_ai.provider.name")) ?? NonEmpty(GenAiActivityMapping.Text(activity, "gen_ai.system"));

    /// <summary>The canonical token usage (<c>prompt</c>, <c>completion</c>, extras with PandaProbe's keys), or <c>null</c>.</summary>
    public static (long Prompt, long Completion, Dictionary<string, long> Extra)? Usage(Activity activity)
    {
        var input = First(activity, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens");
        var output = First(activity, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens");
        var extra = new Dictionary<string, long>();
        if (First(activity, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens") is { } cached and > 0)
            extra[TokenUsage.CacheReadKey] = cached;
        if (First(activity, "gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_creation_input_tokens") is { } written and > 0)
            extra[TokenUsage.CacheCreationKey] = written;
        if (First(activity, "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens") is { } reasoning and > 0)
            extra[TokenUsage.ReasoningKey] = reasoning;
        if (input is null && output is null && extra.Count == 0) return null;
        if (input is not null || output is not null) extra[TokenUsage.TotalKey] = Math.Max(0, input ?? 0) + Math.Max(0, output ?? 0);
        return (Math.Max(0, input ?? 0), Math.Max(0, output ?? 0), extra);
    }

    /// <summary>
    /// The request's messages in messages form (with the system instructions first), from whichever form the activity
    /// has: the parts form (v1.37+) as a captured <see cref="Payload"/> (see <see cref="GenAiPartsForm"/>), an older
    /// form (or a parts form the streaming conversion leaves to the tree) as a <see cref="JsonObject"/>; <c>null</c>
    /// when the activity reports none.
    /// </summary>
    public static object? Input(Activity activity)
    {
        if (PartsForm(activity, "gen_ai.input.messages", "gen_ai.system_instructions") is { } current) return current;
        if (Details(activity) is { } details && PartsForm(details, "gen_ai.input.messages", "gen_ai.system_instructions") is { } fromEvent)
            return fromEvent;
        if (LegacyList(EventTag(activity, "gen_ai.content.prompt", "gen_ai.prompt") ?? GenAiActivityMapping.Text(activity, "gen_ai.prompt"), "user") is { } prompt)
            return prompt;
        return MessageEvents(activity);
    }

    /// <summary>The response's messages in messages form, from whichever form the activity has (as <see cref="Input"/> gives them).</summary>
    public static object? Output(Activity activity)
    {
        if (PartsForm(activity, "gen_ai.output.messages", null) is { } current) return current;
        if (Details(activity) is { } details && PartsForm(details, "gen_ai.output.messages", null) is { } fromEvent) return fromEvent;
        if (LegacyList(EventTag(activity, "gen_ai.content.completion", "gen_ai.completion") ?? GenAiActivityMapping.Text(activity, "gen_ai.completion"), "assistant") is { } completion)
            return completion;
        return ChoiceEvents(activity);
    }

    /// <summary>The finish reasons of <c>gen_ai.choice</c> events (v1.27–v1.36), when the activity has no attribute for them.</summary>
    public static string[] ChoiceFinishReasons(Activity activity) =>
        activity.Events.Where(e => e.Name == "gen_ai.choice")
            .Select(e => Body(e)?["finish_reason"]?.ToString())
            .OfType<string>().Where(r => r.Length > 0).ToArray();

    static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    static long? First(Activity activity, params string[] tags)
    {
        foreach (var tag in tags)
            if (Long(activity.GetTagItem(tag)) is { } value) return value;
        return null;
    }

    static long? Long(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        uint u => u,
        double d when !double.IsNaN(d) && !double.IsInfinity(d) => (long)d,
        string t when long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>The attributes of the v1.37+ <c>gen_ai.client.inference.operation.details</c> event, when the activity has one.</summary>
    static Dictionary<string, object?>? Details(Activity activity)
    {
        foreach (var e in activity.Events)
            if (e.Name == DetailsEvent)
            {
                var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in e.Tags) tags[key] = value;
                return tags;
            }
        return null;
    }

    /// <summary>
    /// The activity's <paramref name="tag"/> (parts form) in messages form with <paramref name="instructionsTag"/>'s
    /// text first: streamed into a captured payload (<see cref="GenAiPartsForm"/>), else (an input it leaves to the
    /// tree) converted as a tree; <c>null</c> when the tag is absent or not a list.
    /// </summary>
    static object? PartsForm(Activity activity, string tag, string? instructionsTag)
    {
        var messages = GenAiActivityMapping.Text(activity, tag);
        var instructions = instructionsTag is null ? null : GenAiActivityMapping.Text(activity, instructionsTag);
        if (GenAiPartsForm.TryConvert(messages, instructions, fromEvent: false, out var form)) return form;
        return GenAiActivityMapping.MessagesForm(activity, tag, instructionsTag);
    }

    /// <summary>
    /// The details event's <paramref name="tag"/> (parts form) in messages form with <paramref name="instructionsTag"/>'s
    /// text first, streamed or as a tree as <see cref="PartsForm(Activity, string, string?)"/> does; <c>null</c> when the
    /// event has no such attribute or it is not a list.
    /// </summary>
    static object? PartsForm(Dictionary<string, object?> tags, string tag, string? instructionsTag)
    {
        if (!tags.TryGetValue(tag, out var value)) return null;
        object? raw = null;
        var hasInstructions = instructionsTag is not null && tags.TryGetValue(instructionsTag, out raw);
        if (GenAiPartsForm.TryConvert(Text(value), hasInstructions ? Text(raw) : null, fromEvent: true, out var form)) return form;
        object? instructions = null;
        if (hasInstructions) instructions = Node(ParseJson(raw));
        return GenAiActivityMapping.MessagesForm(Node(ParseJson(value)), instructions);
    }

    /// <summary>A node as <see cref="GenAiActivityMapping.MessagesForm(object?, object?)"/> takes it (a JSON string value as text).</summary>
    static object? Node(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) ? text : node;

    static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    static JsonNode? ParseJson(object? value)
    {
        if (Text(value) is not { Length: > 0 } text) return null;
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '[' && trimmed[0] != '{')) return JsonValue.Create(text);
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return JsonValue.Create(text); }
    }

    /// <summary>The tag <paramref name="tag"/> of the first event named <paramref name="eventName"/>.</summary>
    static string? EventTag(Activity activity, string eventName, string tag)
    {
        foreach (var e in activity.Events)
        {
            if (e.Name != eventName) continue;
            foreach (var (key, value) in e.Tags)
                if (key == tag) return Text(value);
        }
        return null;
    }

    /// <summary>
    /// A deprecated <c>gen_ai.prompt</c> / <c>gen_ai.completion</c> value in messages form: a list of chat messages
    /// (<c>role</c>, <c>content</c>, <c>tool_calls</c>), choices (<c>{"message":…}</c>), or plain text (one message
    /// with <paramref name="role"/>).
    /// </summary>
    static JsonObject? LegacyList(string? value, string role)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var list = new JsonArray();
        switch (ParseJson(value))
        {
            case JsonArray array:
                foreach (var item in array)
                    if (item is JsonObject message) foreach (var converted in Legacy(message, role)) list.Add(converted);
                    else if (item is JsonValue text) list.Add(new JsonObject { ["role"] = role, ["content"] = text.ToString() });
                break;
            case JsonObject single:
                foreach (var converted in Legacy(single, role)) list.Add(converted);
                break;
            default:
                list.Add(new JsonObject { ["role"] = role, ["content"] = value });
                break;
        }
        return list.Count == 0 ? null : new JsonObject { ["messages"] = list };
    }

    /// <summary>The per-message events of v1.27–v1.36 in messages form, in their order.</summary>
    static JsonObject? MessageEvents(Activity activity)
    {
        var list = new JsonArray();
        foreach (var e in activity.Events)
        {
            var role = e.Name switch
            {
                "gen_ai.system.message" => "system",
                "gen_ai.user.message" => "user",
                "gen_ai.assistant.message" => "assistant",
                "gen_ai.tool.message" => "tool",
                _ => null,
            };
            if (role is null || Body(e) is not { } body) continue;
            foreach (var converted in Legacy(body, role)) list.Add(converted);
        }
        return list.Count == 0 ? null : new JsonObject { ["messages"] = list };
    }

    /// <summary>The <c>gen_ai.choice</c> events of v1.27–v1.36 in messages form.</summary>
    static JsonObject? ChoiceEvents(Activity activity)
    {
        var list = new JsonArray();
        foreach (var e in activity.Events)
        {
            if (e.Name != "gen_ai.choice" || Body(e) is not { } body) continue;
            var message = body["message"] as JsonObject ?? body;
            foreach (var converted in Legacy(message, "assistant")) list.Add(converted);
        }
        return list.Count == 0 ? null : new JsonObject { ["messages"] = list };
    }

    /// <summary>
    /// An event's body: the JSON of <c>gen_ai.event.content</c> (or <c>event.body</c>, <c>body</c>), else its attributes
    /// (<c>content</c>, <c>role</c>, <c>tool_calls</c>, <c>id</c>, <c>message</c>, <c>finish_reason</c>, …) as an object.
    /// </summary>
    static JsonObject? Body(ActivityEvent e)
    {
        var fields = new JsonObject();
        foreach (var (key, value) in e.Tags)
        {
            if (key is "gen_ai.event.content" or "event.body" or "body" && ParseJson(value) is JsonObject body) return body;
            if (key.StartsWith("gen_ai.", StringComparison.Ordinal) || key.StartsWith("event.", StringComparison.Ordinal)) continue;
            var parsed = value is string s && (key is "tool_calls" or "message") ? ParseJson(s) : value switch
            {
                null => null,
                string text => JsonValue.Create(text),
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(Text(value)),
            };
            fields[key] = parsed;
        }
        return fields.Count == 0 ? null : fields;
    }

    /// <summary>One chat message of an older form (or of the parts form) in messages form; a tool message gets its <c>tool_call_id</c>.</summary>
    static IEnumerable<JsonObject> Legacy(JsonObject message, string defaultRole)
    {
        if (message["parts"] is JsonArray)
        {
            if (GenAiActivityMapping.MessagesForm(new JsonArray(message.DeepClone()), null) is { } form && form["messages"] is JsonArray converted)
                foreach (var item in converted.ToList())
                    if (item is JsonObject one) yield return (JsonObject)one.DeepClone();
            yield break;
        }
        var role = message["role"]?.ToString() is { Length: > 0 } r ? r.ToLowerInvariant() : defaultRole;
        var result = new JsonObject { ["role"] = role };
        if (message["name"]?.ToString() is { Length: > 0 } name) result["name"] = name;
        if (role == "tool" && (message["tool_call_id"] ?? message["id"])?.ToString() is { Length: > 0 } callId) result["tool_call_id"] = callId;
        result["content"] = Content(message["content"]);
        if (message["tool_calls"] is JsonArray calls && calls.Count > 0)
        {
            var normalized = new JsonArray();
            foreach (var call in calls.OfType<JsonObject>())
            {
                var function = call["function"] as JsonObject;
                var arguments = function?["arguments"] ?? call["arguments"];
                normalized.Add(new JsonObject
                {
                    ["id"] = call["id"]?.ToString(),
                    ["type"] = "function",
                    ["function"] = new JsonObject
                    {
                        ["name"] = (function?["name"] ?? call["name"])?.ToString(),
                        ["arguments"] = arguments is JsonValue v && v.TryGetValue<string>(out var text) ? text : arguments?.ToJsonString(),
                    },
                });
            }
            result["tool_calls"] = normalized;
        }
        yield return result;
    }

    /// <summary>A message's content: a string as is; a list of parts flattened to its text when it is all text, else kept.</summary>
    static JsonNode? Content(JsonNode? content)
    {
        switch (content)
        {
            case null: return null;
            case JsonValue value: return JsonValue.Create(value.ToString());
            case JsonArray parts when parts.All(p => p is JsonObject o && (o["type"]?.ToString() ?? "text") == "text"):
                return JsonValue.Create(string.Concat(parts.OfType<JsonObject>().Select(p => (p["text"] ?? p["content"])?.ToString())));
            default: return content.DeepClone();
        }
    }
}
