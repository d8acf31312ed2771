using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// The reference for <see cref="GenAiPartsFormCharacterizationTests"/>: the JsonNode conversion of the semantic
/// conventions' parts form (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>,
/// <c>gen_ai.system_instructions</c>, on the activity or on its details event) into PandaProbe's messages form, as
/// <c>GenAiActivityMapping</c> and <c>GenAiGenerations</c> did it before the conversion was streamed, kept here
/// unchanged (with the <c>LastWithRole</c> / <c>FirstText</c> / <c>Shorten</c> helpers of <c>ChatTelemetry</c> it was
/// read back with). It must not be "fixed": it is what the wire was.
/// </summary>
internal static class LegacyPartsForm
{
    const string DetailsEvent = "gen_ai.client.inference.operation.details";

    /// <summary>The request's messages from the parts form (tags, then the details event), or <c>null</c>.</summary>
    public static JsonObject? Input(Activity activity)
    {
        if (MessagesForm(activity, "gen_ai.input.messages", "gen_ai.system_instructions") is { } current) return current;
        if (Details(activity) is { } details && PartsForm(details, "gen_ai.input.messages", "gen_ai.system_instructions") is { } fromEvent)
            return fromEvent;
        return null;
    }

    /// <summary>The response's messages from the parts form (tags, then the details event), or <c>null</c>.</summary>
    public static JsonObject? Output(Activity activity)
    {
        if (MessagesForm(activity, "gen_ai.output.messages") is { } current) return current;
        if (Details(activity) is { } details && PartsForm(details, "gen_ai.output.messages", null) is { } fromEvent) return fromEvent;
        return null;
    }

    public static string? Text(Activity activity, string tag) => activity.GetTagItem(tag) switch
    {
        null => null,
        string s => s,
        string[] list => list.Length == 1 ? list[0] : JsonSerializer.Serialize(list),
        var other => System.Convert.ToString(other, CultureInfo.InvariantCulture),
    };

    public static object? Json(Activity activity, string tag)
    {
        if (Text(activity, tag) is not { } text) return null;
        try { return JsonNode.Parse(text) ?? (object?)text; }
        catch (JsonException) { return text; }
    }

    public static JsonObject? MessagesForm(Activity activity, string tag, string? instructionsTag = null) =>
        MessagesForm(Json(activity, tag), instructionsTag is null ? null : Json(activity, instructionsTag));

    public static JsonObject? MessagesForm(object? messages, object? instructions)
    {
        if (messages is not JsonArray source) return null;
        var list = new JsonArray();
        if (InstructionsText(instructions) is { Length: > 0 } text)
            list.Add(new JsonObject { ["role"] = "system", ["content"] = text });
        foreach (var message in source.OfType<JsonObject>())
            foreach (var converted in Convert(message))
                list.Add(converted);
        return new JsonObject { ["messages"] = list };
    }

    static string? InstructionsText(object? instructions) => instructions switch
    {
        string s => s,
        JsonValue v => v.ToString(),
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => p["content"]?.ToString())),
        _ => null,
    };

    static IEnumerable<JsonObject> Convert(JsonObject message)
    {
        var role = message["role"]?.ToString() ?? "user";
        var parts = message["parts"] as JsonArray ?? new JsonArray();
        var responses = parts.OfType<JsonObject>().Where(p => Type(p) == "tool_call_response").ToList();
        if (responses.Count > 0 && responses.Count == parts.Count)
        {
            foreach (var response in responses)
                yield return new JsonObject
                {
                    ["role"] = "tool",
                    ["tool_call_id"] = response["id"]?.ToString(),
                    ["content"] = response["response"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : response["response"]?.ToJsonString(),
                };
            yield break;
        }

        var texts = new List<string>();
        var others = new JsonArray();
        var toolCalls = new JsonArray();
        var onlyText = true;
        foreach (var part in parts.OfType<JsonObject>())
        {
            switch (Type(part))
            {
                case "text":
                    var text = part["content"]?.ToString() ?? string.Empty;
                    texts.Add(text);
                    others.Add(new JsonObject { ["type"] = "text", ["text"] = text });
                    break;
                case "tool_call":
                    toolCalls.Add(new JsonObject
                    {
                        ["id"] = part["id"]?.ToString(),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = part["name"]?.ToString(), ["arguments"] = part["arguments"]?.ToJsonString() },
                    });
                    break;
                case "reasoning":
                    break;
                case "blob" or "file" or "uri" when Binary(part) is { } described:
                    onlyText = false;
                    others.Add(described);
                    break;
                default:
                    onlyText = false;
                    others.Add(part.DeepClone());
                    break;
            }
        }
        var converted = new JsonObject { ["role"] = role };
        if (message["name"]?.ToString() is { Length: > 0 } name) converted["name"] = name;
        converted["content"] = onlyText
            ? (texts.Count == 0 && toolCalls.Count > 0 ? null : JsonValue.Create(string.Concat(texts)))
            : others;
        if (toolCalls.Count > 0) converted["tool_calls"] = toolCalls;
        yield return converted;
    }

    static string? Type(JsonObject part) => part["type"]?.ToString();

    static JsonObject? Binary(JsonObject part)
    {
        var mediaType = (part["mime_type"] ?? part["media_type"])?.ToString();
        if (part["content"] is JsonValue content && content.TryGetValue<string>(out var base64))
            return new JsonObject { ["type"] = "data", ["media_type"] = mediaType, ["bytes"] = DecodedLength(base64) };
        if (part["uri"]?.ToString() is { } uri)
            return new JsonObject { ["type"] = "uri", ["media_type"] = mediaType, ["uri"] = uri };
        if (part["file_id"]?.ToString() is { } fileId)
            return new JsonObject { ["type"] = "file", ["media_type"] = mediaType, ["file_id"] = fileId };
        return part["content"] is null ? null : new JsonObject { ["type"] = "data", ["media_type"] = mediaType };
    }

    static long DecodedLength(string base64)
    {
        long chars = 0, padding = 0;
        foreach (var c in base64)
        {
            if (char.IsWhiteSpace(c)) continue;
            chars++;
            padding = c == '=' ? padding + 1 : 0;
        }
        return Math.Max(0, chars / 4 * 3 + (chars % 4 is var rest and > 1 ? rest - 1 : 0) - padding);
    }

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

    static JsonObject? PartsForm(Dictionary<string, object?> tags, string tag, string? instructionsTag)
    {
        if (!tags.TryGetValue(tag, out var value)) return null;
        object? instructions = null;
        if (instructionsTag is not null && tags.TryGetValue(instructionsTag, out var raw)) instructions = Node(ParseJson(raw));
        return MessagesForm(Node(ParseJson(value)), instructions);
    }

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

    /// <summary><c>{"messages":[the last message of <paramref name="form"/> whose role is <paramref name="role"/>]}</c>, or <c>null</c>.</summary>
    public static JsonObject? LastWithRole(JsonObject form, string role)
    {
        if (form["messages"] is not JsonArray list) return null;
        for (var i = list.Count - 1; i >= 0; i--)
            if (list[i] is JsonObject m && m["role"]?.GetValue<string>() == role)
                return new JsonObject { ["messages"] = new JsonArray(m.DeepClone()) };
        return null;
    }

    /// <summary>The text of the first message of <paramref name="form"/> whose role is <paramref name="role"/>, shortened.</summary>
    public static string? FirstText(JsonObject form, string role, int max)
    {
        if (form["messages"] is not JsonArray list) return null;
        foreach (var item in list)
        {
            if (item is not JsonObject m || m["role"] is not JsonValue r || !r.TryGetValue<string>(out var actual) || actual != role) continue;
            var text = m["content"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray parts => string.Join(' ', parts.Select(p => p switch
                {
                    JsonValue v when v.TryGetValue<string>(out var s) => s,
                    JsonObject o when (o["text"] ?? o["content"]) is JsonValue t && t.TryGetValue<string>(out var s) => s,
                    _ => null,
                }).Where(s => !string.IsNullOrWhiteSpace(s))),
                _ => null,
            };
            return Shorten(text, max);
        }
        return null;
    }

    static string? Shorten(string? text, int max)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1)] + "…";
    }
}
