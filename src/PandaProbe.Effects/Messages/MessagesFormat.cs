using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Serialization;

namespace PandaProbe.Messages;

/// <summary>
/// The platform's messages convention for LLM inputs and outputs: a value is conforming when it is an object with a
/// <c>messages</c> key holding an array of objects, each with a string <c>role</c> and a <c>content</c> that is a
/// string, an array of content parts (objects or strings) or <c>null</c>; extra keys are allowed everywhere.
/// A trace's input is expected to be <c>{"messages":[the current user message]}</c>, its output
/// <c>{"messages":[the final assistant message]}</c>; an LLM span holds the full prompt and the assistant reply.
/// Non-conforming values are still recorded and sent unchanged: the SDK only warns (see <see cref="MessagesFormatCheck"/>).
/// </summary>
/// <remarks>
/// <para>Every member accepts: <c>null</c> (conforming: "no value"); <see cref="JsonNode"/>, <see cref="JsonElement"/> and
/// <see cref="JsonDocument"/>; <see cref="Payload"/> (a recorded value); dictionaries
/// (<see cref="IDictionary{TKey,TValue}"/>, <see cref="IReadOnlyDictionary{TKey,TValue}"/>, <see cref="IDictionary"/>);
/// and any other object — an anonymous object, a record, a list — which is judged by the JSON it would be recorded as
/// (the same serialization as <see cref="PayloadCapture"/>, so property names are case-sensitive: a property
/// <c>Messages</c> does not satisfy the convention, <c>messages</c> does).</para>
/// <para>A <see cref="string"/> is a string value, never parsed as JSON: it is not an object and so not conforming,
/// exactly as it would be stored.</para>
/// </remarks>
internal static class MessagesFormat
{
    /// <summary>The key holding the message list.</summary>
    public const string MessagesKey = "messages";

    static readonly string[] UserRoles = ["user", "human"];
    static readonly string[] AssistantRoles = ["assistant", "ai"];
    static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 256 };

    /// <summary>
    /// Every way <paramref name="value"/> breaks the messages convention, as sentences naming
    /// <paramref name="label"/> and the offending path; empty when it conforms. <c>null</c> conforms. Never throws.
    /// </summary>
    /// <param name="value">The value to check (see the remarks on <see cref="MessagesFormat"/> for accepted types).</param>
    /// <param name="label">What the value is, for the messages (e.g. <c>"trace input"</c>).</param>
    public static IReadOnlyList<string> Validate(object? value, string label = "input")
    {
        // A recorded value that conforms is the common case (every LLM span's input and output, checked on the export
        // loop): one forward pass of a reader decides it without building a document. Anything else, or any doubt
        // (a repeated key, a nesting deeper than the reader's limit), takes the full path, which names each problem.
        if (value is Payload { IsText: false } recorded && ConformsFast(recorded.Value)) return [];
        label = string.IsNullOrEmpty(label) ? "input" : label;
        var problems = new List<string>();
        try
        {
            switch (Classify(value, out var text, out var element, out var doc))
            {
                case Shape.Null:
                    break;
                case Shape.Text:
                    problems.Add($"{label} must be an object with a '{MessagesKey}' key, got a string.");
                    break;
                case Shape.Unserializable:
                    problems.Add($"{label} must be an object with a '{MessagesKey}' key, got a value that cannot be serialized ({text}).");
                    break;
                case Shape.Json:
                    using (doc) ValidateElement(element, label, problems);
                    break;
            }
        }
        catch (Exception)
        {
            // Not parseable (e.g. nested deeper than the parser allows) or a JsonNode that cannot be written.
            problems.Clear();
            problems.Add($"{label} must be an object with a '{MessagesKey}' key, got a value that could not be read as JSON.");
        }
        return problems;
    }

    /// <summary><c>true</c> when <paramref name="value"/> conforms (or is <c>null</c>).</summary>
    /// <param name="value">The value to check.</param>
    public static bool IsValid(object? value) => Validate(value).Count == 0;

    /// <summary>Throws when <paramref name="value"/> breaks the convention; the message is the first problem found.</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="label">What the value is, for the message.</param>
    /// <exception cref="ArgumentException">The value does not follow the messages convention.</exception>
    public static void ValidateOrThrow(object? value, string label = "input")
    {
        var problems = Validate(value, label);
        if (problems.Count > 0) throw new ArgumentException(problems[0], nameof(value));
    }

    /// <summary>
    /// <c>{"messages":[the last message whose role is user or human]}</c> when <paramref name="value"/> is an object
    /// with a <c>messages</c> array holding such a message; otherwise <paramref name="value"/> itself (the same
    /// object). The result has the input's family: a <see cref="JsonElement"/> for a <see cref="JsonElement"/>, a
    /// <see cref="Payload"/> for a <see cref="Payload"/>, a <c>Dictionary&lt;string, object?&gt;</c> holding the original
    /// message object for a dictionary, and a <see cref="JsonObject"/> for anything else. Never throws.
    /// </summary>
    /// <param name="value">A messages value, or anything.</param>
    public static object? ExtractLastUserMessage(object? value) => ExtractLast(value, UserRoles);

    /// <summary>
    /// <c>{"messages":[the last message whose role is assistant or ai]}</c>, or <paramref name="value"/> itself when
    /// there is none; otherwise like <see cref="ExtractLastUserMessage"/>. Never throws.
    /// </summary>
    /// <param name="value">A messages value, or anything.</param>
    public static object? ExtractLastAssistantMessage(object? value) => ExtractLast(value, AssistantRoles);

    // ---- validation -------------------------------------------------------------------------------------------

    static void ValidateElement(JsonElement root, string label, List<string> problems)
    {
        if (root.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{label} must be an object with a '{MessagesKey}' key, got {Describe(root)}.");
            return;
        }
        if (!root.TryGetProperty(MessagesKey, out var messages))
        {
            problems.Add($"{label} is missing the '{MessagesKey}' key.");
            return;
        }
        if (messages.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"{label}.{MessagesKey} must be an array, got {Describe(messages)}.");
            return;
        }
        var i = 0;
        foreach (var item in messages.EnumerateArray())
        {
            var path = $"{label}.{MessagesKey}[{i}]";
            i++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{path} must be an object, got {Describe(item)}.");
                continue;
            }
            if (!item.TryGetProperty("role", out var role))
                problems.Add($"{path} is missing the 'role' key.");
            else if (role.ValueKind != JsonValueKind.String)
                problems.Add($"{path}.role must be a string, got {Describe(role)}.");
            if (!item.TryGetProperty("content", out var content))
            {
                problems.Add($"{path} is missing the 'content' key.");
                continue;
            }
            switch (content.ValueKind)
            {
                case JsonValueKind.String or JsonValueKind.Null:
                    break;
                case JsonValueKind.Array:
                    var j = 0;
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind is not (JsonValueKind.Object or JsonValueKind.String))
                            problems.Add($"{path}.content[{j}] must be a content part (an object or a string), got {Describe(part)}.");
                        j++;
                    }
                    break;
                default:
                    problems.Add($"{path}.content must be a string, an array or null, got {Describe(content)}.");
                    break;
            }
        }
    }

    /// <summary>
    /// <c>true</c> only when <paramref name="json"/> certainly conforms (the full validation would find nothing);
    /// <c>false</c> when it does not or when in doubt. Allocation-free for values up to 1 KB of UTF-8.
    /// </summary>
    internal static bool ConformsFast(string json)
    {
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(json.Length);
        byte[]? rented = null;
        var buffer = max <= 1024 ? stackalloc byte[1024] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = System.Text.Encoding.UTF8.GetBytes(json, buffer);
            var reader = new Utf8JsonReader(buffer[..length]);
            return ConformsFast(ref reader);
        }
        catch (JsonException) { return false; }
        finally { if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented); }
    }

    static bool ConformsFast(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) return false;
        if (reader.TokenType == JsonTokenType.Null) return true;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        var sawMessages = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals(MessagesKey))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            if (sawMessages || !reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
            sawMessages = true;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                if (!MessageConformsFast(ref reader)) return false;
        }
        return sawMessages;
    }

    /// <summary>One message, the reader on its first token; leaves the reader on its last token.</summary>
    static bool MessageConformsFast(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        bool role = false, content = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"))
            {
                if (role || !reader.Read() || reader.TokenType != JsonTokenType.String) return false;
                role = true;
            }
            else if (reader.ValueTextEquals("content"))
            {
                if (content || !reader.Read()) return false;
                content = true;
                switch (reader.TokenType)
                {
                    case JsonTokenType.String or JsonTokenType.Null:
                        break;
                    case JsonTokenType.StartArray:
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            if (reader.TokenType == JsonTokenType.StartObject) reader.Skip();
                            else if (reader.TokenType != JsonTokenType.String) return false;
                        }
                        break;
                    default:
                        return false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return role && content;
    }

    static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    enum Shape { Null, Text, Unserializable, Json }

    /// <summary>
    /// Classifies a value by what it would be recorded as. For <see cref="Shape.Json"/> the element is valid until
    /// <paramref name="doc"/> (when not null) is disposed.
    /// </summary>
    static Shape Classify(object? value, out string? text, out JsonElement element, out JsonDocument? doc)
    {
        text = null;
        element = default;
        doc = null;
        switch (value)
        {
            case null:
                return Shape.Null;
            case string s:
                text = s;
                return Shape.Text;
            case JsonElement e:
                element = e;
                return e.ValueKind == JsonValueKind.Undefined ? Shape.Null : Shape.Json;
            case JsonDocument d:
                element = d.RootElement;
                return Shape.Json;
            case JsonNode n:
                doc = JsonDocument.Parse(n.ToJsonString(), ParseOptions);
                element = doc.RootElement;
                return Shape.Json;
            case Payload p:
                return FromPayload(p, false, out text, out element, out doc);
            default:
                var ok = PayloadCapture.TryCapture(value, out var captured);
                return FromPayload(captured, !ok, out text, out element, out doc);
        }
    }

    static Shape FromPayload(Payload p, bool unserializable, out string? text, out JsonElement element, out JsonDocument? doc)
    {
        text = null;
        element = default;
        doc = null;
        if (unserializable)
        {
            text = p.Value;
            return Shape.Unserializable;
        }
        if (p.IsText)
        {
            text = p.Value;
            return Shape.Text;
        }
        doc = JsonDocument.Parse(p.Value, ParseOptions);
        element = doc.RootElement;
        return element.ValueKind == JsonValueKind.Null ? Shape.Null : Shape.Json;
    }

    // ---- extraction -------------------------------------------------------------------------------------------

    static object? ExtractLast(object? value, string[] roles)
    {
        try
        {
            return value switch
            {
                null or string => value,
                JsonObject o => FromNode(o, roles) ?? value,
                JsonNode => value,
                JsonElement e => FromElement(e, roles) is { } m ? Wrap(m) : value,
                JsonDocument d => FromElement(d.RootElement, roles) is { } m ? JsonNode.Parse(WrapText(m), documentOptions: ParseOptions) : value,
                Payload p => FromPayload(p, roles) ?? value,
                IDictionary or IReadOnlyDictionary<string, object?> or IDictionary<string, object?> => FromDictionary(value, roles) ?? value,
                _ => FromCaptured(value, roles) ?? value,
            };
        }
        catch (Exception)
        {
            return value;
        }
    }

    static JsonObject? FromNode(JsonObject o, string[] roles)
    {
        if (!o.TryGetPropertyValue(MessagesKey, out var messages) || messages is not JsonArray list) return null;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i] is JsonObject m && m.TryGetPropertyValue("role", out var role) && role is JsonValue v
                && v.TryGetValue<string>(out var r) && roles.Contains(r))
                return new JsonObject { [MessagesKey] = new JsonArray(m.DeepClone()) };
        }
        return null;
    }

    /// <summary>The raw JSON of the last matching message, or null.</summary>
    static string? FromElement(JsonElement root, string[] roles)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(MessagesKey, out var messages)
            || messages.ValueKind != JsonValueKind.Array) return null;
        string? last = null;
        foreach (var m in messages.EnumerateArray())
            if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var role)
                && role.ValueKind == JsonValueKind.String && roles.Contains(role.GetString()))
                last = m.GetRawText();
        return last;
    }

    static string WrapText(string message) => $"{{\"{MessagesKey}\":[{message}]}}";

    static JsonElement Wrap(string message)
    {
        using var doc = JsonDocument.Parse(WrapText(message), ParseOptions);
        return doc.RootElement.Clone();
    }

    static Payload? FromPayload(Payload p, string[] roles)
    {
        if (p.IsText) return null;
        using var doc = JsonDocument.Parse(p.Value, ParseOptions);
        return FromElement(doc.RootElement, roles) is { } m ? Payload.Json(WrapText(m)) : null;
    }

    static JsonObject? FromCaptured(object value, string[] roles)
    {
        if (!PayloadCapture.TryCapture(value, out var payload) || payload.IsText) return null;
        using var doc = JsonDocument.Parse(payload.Value, ParseOptions);
        return FromElement(doc.RootElement, roles) is { } m ? JsonNode.Parse(WrapText(m), documentOptions: ParseOptions)!.AsObject() : null;
    }

    static Dictionary<string, object?>? FromDictionary(object value, string[] roles)
    {
        if (!TryGet(value, MessagesKey, out var messages) || messages is string) return null;
        IEnumerable? list = messages switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(e => (object?)e),
            JsonElement or JsonObject or IDictionary => null,
            IEnumerable items => items,
            _ => null,
        };
        if (list is null) return null;
        object? found = null;
        var any = false;
        foreach (var item in list)
        {
            if (RoleOf(item) is { } r && roles.Contains(r))
            {
                found = item;
                any = true;
            }
        }
        return any ? new Dictionary<string, object?> { [MessagesKey] = new List<object?> { found } } : null;
    }

    static bool TryGet(object? container, string key, out object? result)
    {
        result = null;
        switch (container)
        {
            case IDictionary<string, object?> d:
                return d.TryGetValue(key, out result);
            case IReadOnlyDictionary<string, object?> r:
                return r.TryGetValue(key, out result);
            case IDictionary nd:
                if (!nd.Contains(key)) return false;
                result = nd[key];
                return true;
            default:
                return false;
        }
    }

    /// <summary>The string role of one message of any accepted shape, or null.</summary>
    static string? RoleOf(object? item)
    {
        switch (item)
        {
            case null or string:
                return null;
            case JsonObject o:
                return o.TryGetPropertyValue("role", out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            case JsonNode:
                return null;
            case JsonElement e:
                return e.ValueKind == JsonValueKind.Object && e.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                    ? r.GetString() : null;
            case IDictionary or IReadOnlyDictionary<string, object?> or IDictionary<string, object?>:
                return TryGet(item, "role", out var role) && role is string rs ? rs : null;
            default:
                if (!PayloadCapture.TryCapture(item, out var p) || p.IsText) return null;
                using (var doc = JsonDocument.Parse(p.Value, ParseOptions))
                    return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("role", out var pr)
                        && pr.ValueKind == JsonValueKind.String ? pr.GetString() : null;
        }
    }
}
