using PandaProbe.Model;
using PandaProbe.Serialization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Pure conversions from Microsoft.Extensions.AI values to what PandaProbe records: the messages form (written
/// straight into the capture's UTF-8 buffer, see <see cref="ChatMessages"/>), the whitelisted model
/// parameters, token usage with canonical keys, and the reasoning summary. Nothing keeps the caller's objects, and
/// members throw only on programming errors; callers still guard them.
/// </summary>
internal static class ChatTelemetry
{
    /// <summary>The library's serializer settings (its content types and converters), compact and without HTML escaping.</summary>
    static readonly JsonSerializerOptions Compact = new(AIJsonUtilities.DefaultOptions)
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>{"messages":[…]}</c> for <paramref name="messages"/>, with <paramref name="instructions"/> prepended as a system message.</summary>
    public static ChatMessages MessagesForm(IEnumerable<ChatMessage> messages, string? instructions = null) =>
        new(messages as IReadOnlyList<ChatMessage> ?? messages.ToList(), instructions);

    /// <summary>
    /// <c>{"messages":[the last message of <paramref name="messages"/> whose role is <paramref name="role"/>]}</c>, or
    /// <c>null</c> when there is none (<paramref name="role"/> is not <c>tool</c>: a message of tool results gives
    /// one entry per result, under the role <c>tool</c>).
    /// </summary>
    public static ChatMessages? LastMessageForm(IEnumerable<ChatMessage> messages, string role)
    {
        ChatMessage? last = null;
        foreach (var message in messages)
            if (message is not null && !IsAllResults(message) && RoleName(message.Role) == role) last = message;
        return last is null ? null : new ChatMessages([last], null);
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

    /// <summary>
    /// <c>{"messages":[the last message of <paramref name="form"/> whose role is <paramref name="role"/>]}</c> for a
    /// messages form captured as UTF-8 (<see cref="GenAiPartsForm"/>), found with a reader and the message's bytes
    /// copied as they are: the capture wrote them, so writing the message again would give the same bytes. <c>null</c>
    /// when there is none.
    /// </summary>
    public static Payload? LastWithRole(Payload form, string role)
    {
        try
        {
            var utf8 = form.Utf8 ?? System.Text.Encoding.UTF8.GetBytes(form.Value);
            if (LastMessage(utf8, role) is not var (start, length)) return null;
            var bytes = new byte[MessagesStart.Length + length + MessagesEnd.Length];
            MessagesStart.CopyTo(bytes);
            utf8.AsSpan(start, length).CopyTo(bytes.AsSpan(MessagesStart.Length));
            MessagesEnd.CopyTo(bytes.AsSpan(MessagesStart.Length + length));
            return Payload.Utf8Json(bytes);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai messages: the last '{role}' message could not be read ({ex.Message})");
            return null;
        }
    }

    static ReadOnlySpan<byte> MessagesStart => "{\"messages\":["u8;

    static ReadOnlySpan<byte> MessagesEnd => "]}"u8;

    /// <summary>
    /// Where the last message of a messages form (<c>{"messages":[…]}</c>, as UTF-8) whose <c>role</c> is
    /// <paramref name="role"/> starts and how long it is; <c>null</c> when there is none.
    /// </summary>
    static (int Start, int Length)? LastMessage(ReadOnlySpan<byte> utf8, string role)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        (int, int)? last = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMessages = reader.ValueTextEquals("messages"u8);
            reader.Read();
            if (!isMessages || reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                var matches = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isRole = reader.ValueTextEquals("role"u8);
                    reader.Read();
                    if (isRole && reader.TokenType == JsonTokenType.String) matches = reader.ValueTextEquals(role);
                    else reader.Skip();
                }
                if (matches) last = (start, (int)reader.BytesConsumed - start);
            }
        }
        return last;
    }

    /// <summary>
    /// The text of the first message of <paramref name="form"/> (a messages form captured as UTF-8) whose role is
    /// <paramref name="role"/>, as <see cref="FirstText(JsonObject, string, int)"/> reads a tree. Null when there is none.
    /// </summary>
    public static string? FirstText(Payload form, string role, int max)
    {
        try
        {
            using var document = JsonDocument.Parse(form.Utf8 ?? System.Text.Encoding.UTF8.GetBytes(form.Value));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array) return null;
            foreach (var m in list.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var r) || r.ValueKind != JsonValueKind.String
                    || !r.ValueEquals(role)) continue;
                if (!m.TryGetProperty("content", out var content)) return null;
                if (content.ValueKind == JsonValueKind.String) return Shorten(content.GetString(), max);
                if (content.ValueKind != JsonValueKind.Array) return null;
                var joined = new System.Text.StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    var text = part.ValueKind switch
                    {
                        JsonValueKind.String => part.GetString(),
                        JsonValueKind.Object => PartText(part),
                        _ => null,
                    };
                    if (string.IsNullOrWhiteSpace(text)) continue;
                    if (joined.Length > 0) joined.Append(' ');
                    joined.Append(text);
                }
                return Shorten(joined.ToString(), max);
            }
            return null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai messages: the first '{role}' text could not be read ({ex.Message})");
            return null;
        }
    }

    /// <summary>A part's <c>text</c> (its <c>content</c> when it has no text), when that is a string.</summary>
    static string? PartText(JsonElement part)
    {
        if (!part.TryGetProperty("text", out var text) || text.ValueKind == JsonValueKind.Null)
            if (!part.TryGetProperty("content", out text)) return null;
        return text.ValueKind == JsonValueKind.String ? text.GetString() : null;
    }

    /// <summary>
    /// The text of the first message of <paramref name="form"/> (messages form) whose role is <paramref name="role"/>:
    /// its string content, or its text parts joined; whitespace collapsed, cut to <paramref name="max"/> characters
    /// (an ellipsis ends a cut one). Null when there is none.
    /// </summary>
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

    /// <summary>Whitespace collapsed, cut to <paramref name="max"/> characters with an ellipsis; null for an empty text.</summary>
    public static string? Shorten(string? text, int max)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1)] + "…";
    }

    /// <summary><c>true</c> when every part of <paramref name="message"/> is a function result (it becomes one <c>tool</c> entry per result).</summary>
    static bool IsAllResults(ChatMessage message)
    {
        var contents = message.Contents;
        if (contents.Count == 0) return false;
        foreach (var content in contents)
            if (content is not FunctionResultContent) return false;
        return true;
    }

    /// <summary>
    /// Writes <c>{"messages":[…]}</c>: <paramref name="instructions"/> as a system message, then each message in
    /// messages form (see <see cref="WriteMessage"/>).
    /// </summary>
    internal static void WriteForm(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, string? instructions)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("messages");
        if (!string.IsNullOrEmpty(instructions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", "system");
            writer.WriteString("content", instructions);
            writer.WriteEndObject();
        }
        foreach (var message in messages)
            if (message is not null)
                WriteMessage(writer, message);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes one message in messages form, or several for a tool message holding several results (one entry per
    /// <c>tool_call_id</c>). Text parts are flattened into a string <c>content</c>; any other part keeps the content
    /// a list of parts; function calls become <c>tool_calls</c>; reasoning parts are left out.
    /// </summary>
    static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        var contents = message.Contents;
        var results = 0;
        var onlyText = true;
        var texts = 0;
        var calls = 0;
        foreach (var content in Parts(contents))
        {
            switch (content)
            {
                case FunctionResultContent: results++; break;
                case FunctionCallContent: calls++; break;
                case TextReasoningContent or UsageContent: break;
                case TextContent: texts++; break;
                default: onlyText = false; break;
            }
        }
        if (results > 0 && results != contents.Count) onlyText = false;   // results among other parts: a list of parts
        if (results > 0 && results == contents.Count)
        {
            foreach (var content in Parts(contents))
            {
                var result = (FunctionResultContent)content;
                writer.WriteStartObject();
                writer.WriteString("role", "tool");
                writer.WriteString("tool_call_id", result.CallId);
                writer.WriteString("content", ResultText(result));
                writer.WriteEndObject();
            }
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("role", RoleName(message.Role));
        if (message.AuthorName is { Length: > 0 } author) writer.WriteString("name", author);
        writer.WritePropertyName("content");
        if (!onlyText)
        {
            writer.WriteStartArray();
            foreach (var content in Parts(contents))
            {
                switch (content)
                {
                    case TextReasoningContent or UsageContent or FunctionCallContent: break;
                    case TextContent text:
                        writer.WriteStartObject();
                        writer.WriteString("type", "text");
                        writer.WriteString("text", text.Text);
                        writer.WriteEndObject();
                        break;
                    default:
                        WritePart(writer, content);
                        break;
                }
            }
            writer.WriteEndArray();
        }
        else if (texts == 0 && calls > 0) writer.WriteNullValue();
        else if (texts == 1)
        {
            foreach (var content in Parts(contents))
                if (content is TextContent text) writer.WriteStringValue(text.Text ?? string.Empty);
        }
        else
        {
            var joined = new System.Text.StringBuilder();
            foreach (var content in Parts(contents))
                if (content is TextContent text) joined.Append(text.Text);
            writer.WriteStringValue(joined.ToString());
        }
        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var content in Parts(contents))
            {
                if (content is not FunctionCallContent call) continue;
                writer.WriteStartObject();
                writer.WriteString("id", call.CallId);
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WriteString("name", call.Name);
                writer.WriteString("arguments", ArgumentsText(call.Arguments));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>The parts of a message without an enumerator object (its list is read by index when it is one).</summary>
    static PartList Parts(IList<AIContent> contents) => new(contents);

    readonly struct PartList(IList<AIContent> contents)
    {
        public Enumerator GetEnumerator() => new(contents);

        public struct Enumerator(IList<AIContent> contents)
        {
            int index = -1;

            public readonly AIContent Current => contents[index];

            public bool MoveNext() => ++index < contents.Count;
        }
    }

    /// <summary>The lower-case role name (<c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c>, or a custom value).</summary>
    public static string RoleName(ChatRole role) =>
        string.IsNullOrEmpty(role.Value) ? "user" : role.Value.ToLowerInvariant();

    /// <summary>A non-text part: a description of binary data (never its bytes), a URI, an error, or the library's own JSON for anything else.</summary>
    static void WritePart(Utf8JsonWriter writer, AIContent content)
    {
        writer.WriteStartObject();
        switch (content)
        {
            case DataContent data:
                writer.WriteString("type", "data");
                writer.WriteString("media_type", data.MediaType);
                writer.WriteString("name", data.Name);
                writer.WriteNumber("bytes", data.Data.Length);
                break;
            case UriContent uri:
                writer.WriteString("type", "uri");
                writer.WriteString("media_type", uri.MediaType);
                writer.WriteString("uri", uri.Uri.ToString());
                break;
            case ErrorContent error:
                writer.WriteString("type", "error");
                writer.WriteString("message", error.Message);
                writer.WriteString("error_code", error.ErrorCode);
                break;
            case FunctionResultContent result:
                writer.WriteString("type", "tool_result");
                writer.WriteString("tool_call_id", result.CallId);
                writer.WriteString("content", ResultText(result));
                break;
            default:
                // The library's JSON of the part without its discriminator and raw data, "type" first: the part's own
                // "type" when it has one (exactly so named), else the type's name.
                JsonObject? node = null;
                try { node = JsonSerializer.SerializeToNode(content, Compact) as JsonObject; }
                catch (Exception) { }
                JsonNode? own = null;
                var hasOwn = false;
                if (node is not null)
                {
                    node.Remove("$type");
                    node.Remove("rawRepresentation");
                    node.Remove("additionalProperties");
                    foreach (var (key, value) in node)
                        if (string.Equals(key, "type", StringComparison.Ordinal)) (own, hasOwn) = (value, true);
                }
                writer.WritePropertyName("type");
                if (!hasOwn) writer.WriteStringValue(TypeName(content));
                else if (own is null) writer.WriteNullValue();
                else own.WriteTo(writer);
                if (node is null) break;
                foreach (var (key, value) in node)
                {
                    if (string.Equals(key, "type", StringComparison.Ordinal)) continue;
                    writer.WritePropertyName(key);
                    if (value is null) writer.WriteNullValue();
                    else value.WriteTo(writer);
                }
                break;
        }
        writer.WriteEndObject();
    }

    /// <summary><c>HostedFileContent</c> → <c>hosted_file</c>.</summary>
    static string TypeName(AIContent content)
    {
        var name = content.GetType().Name;
        if (name.EndsWith("Content", StringComparison.Ordinal) && name.Length > "Content".Length)
            name = name[..^"Content".Length];
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }

    static string? ArgumentsText(IDictionary<string, object?>? arguments)
    {
        if (arguments is null) return null;
        try { return JsonSerializer.Serialize(arguments, Compact); }
        catch (Exception) { return "{}"; }
    }

    static string? ResultText(FunctionResultContent result)
    {
        switch (result.Result)
        {
            case null: return result.Exception?.Message;
            case string s: return s;
            default:
                try { return JsonSerializer.Serialize(result.Result, Compact); }
                catch (Exception) { return result.Result.ToString(); }
        }
    }

    /// <summary>A tool call's arguments as a JSON object (the library's serializer), or <c>null</c> when there are none.</summary>
    public static JsonNode? ToolArguments(IEnumerable<KeyValuePair<string, object?>>? arguments)
    {
        if (arguments is null) return null;
        var node = new JsonObject();
        foreach (var (key, value) in arguments)
        {
            try { node[key] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), Compact); }
            catch (Exception) { node[key] = value?.ToString(); }
        }
        return node;
    }

    /// <summary>A tool's result: a string as it is, anything else as the library's JSON (its text when it cannot be serialized).</summary>
    public static object? ToolResult(object? result)
    {
        switch (result)
        {
            case null: return null;
            case string s: return s;
            default:
                try { return JsonSerializer.SerializeToNode(result, result.GetType(), Compact); }
                catch (Exception) { return result.ToString(); }
        }
    }

    /// <summary>
    /// Adds the provider's name (<c>provider</c>) and the endpoint's host and port (<c>server.address</c>,
    /// <c>server.port</c>, named as in OpenTelemetry's conventions) to <paramref name="metadata"/>.
    /// </summary>
    public static void AddProvider(IDictionary<string, object?> metadata, string? providerName, Uri? providerUri)
    {
        if (providerName is { Length: > 0 }) metadata["provider"] = providerName;
        if (providerUri is not { IsAbsoluteUri: true } uri || uri.Host.Length == 0) return;
        metadata["server.address"] = uri.Host;
        metadata["server.port"] = uri.Port;
    }

    /// <summary>
    /// The definitions of the tools offered by <paramref name="options"/>, or <c>null</c> when there are none: one
    /// object per tool, <c>{"type":"function","name":…,"description":…,"parameters":{JSON schema}}</c> for a function
    /// (the shape of OpenTelemetry's <c>gen_ai.tool.definitions</c>), <c>{"type":name,"name":name}</c> for a
    /// provider-hosted tool such as web search.
    /// </summary>
    public static Model.Payload? ToolDefinitions(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools) return null;
        // A loop offers the same list on every call: its captured definitions are kept with the list, and reused
        // while it still holds the same tools.
        if (Offered.TryGetValue(tools, out var known) && known.Holds(tools)) return known.Payload;
        var offered = new AITool[tools.Count];
        tools.CopyTo(offered, 0);
        var definitions = new List<JsonElement>(offered.Length);
        foreach (var tool in offered)
            if (tool is not null) definitions.Add(Definitions.GetValue(tool, Define).Value);
        if (definitions.Count == 0) return null;
        var payload = PayloadCapture.Capture(definitions.ToArray());
        Offered.AddOrUpdate(tools, new OfferedTools(offered, payload));
        return payload;
    }

    /// <summary>A list of tools as it was captured, and its captured definitions.</summary>
    sealed class OfferedTools(AITool[] tools, Model.Payload payload)
    {
        public Model.Payload Payload { get; } = payload;

        /// <summary><c>true</c> while <paramref name="list"/> still holds exactly these tools, in this order.</summary>
        public bool Holds(IList<AITool> list)
        {
            if (list.Count != tools.Length) return false;
            for (var i = 0; i < tools.Length; i++)
                if (!ReferenceEquals(list[i], tools[i])) return false;
            return true;
        }
    }

    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IList<AITool>, OfferedTools> Offered = new();

    /// <summary>
    /// Each tool's definition, built once: a tool loop offers the same tools on every call, and parsing a parameter
    /// schema per model call costs more than the rest of the call's telemetry. Tools are immutable descriptions.
    /// </summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AITool, System.Runtime.CompilerServices.StrongBox<JsonElement>> Definitions = new();

    static System.Runtime.CompilerServices.StrongBox<JsonElement> Define(AITool tool)
    {
        var definition = new JsonObject { ["type"] = tool is AIFunctionDeclaration ? "function" : tool.Name, ["name"] = tool.Name };
        if (!string.IsNullOrEmpty(tool.Description)) definition["description"] = tool.Description;
        if (tool is AIFunctionDeclaration function && function.JsonSchema.ValueKind == JsonValueKind.Object)
            definition["parameters"] = JsonNode.Parse(function.JsonSchema.GetRawText());
        return new(JsonSerializer.SerializeToElement(definition));
    }

    /// <summary>The request's model parameters, provider-neutral names, set values only; never messages, tools or keys.</summary>
    public static Dictionary<string, object?> ModelParameters(ChatOptions? options)
    {
        var parameters = new Dictionary<string, object?>();
        if (options is null) return parameters;
        if (options.Temperature is { } temperature) parameters["temperature"] = temperature;
        if (options.TopP is { } topP) parameters["top_p"] = topP;
        if (options.TopK is { } topK) parameters["top_k"] = topK;
        if (options.MaxOutputTokens is { } maxTokens) parameters["max_tokens"] = maxTokens;
        if (options.FrequencyPenalty is { } frequency) parameters["frequency_penalty"] = frequency;
        if (options.PresencePenalty is { } presence) parameters["presence_penalty"] = presence;
        if (options.Seed is { } seed) parameters["seed"] = seed;
        if (options.StopSequences is { Count: > 0 } stops) parameters["stop_sequences"] = stops.ToArray();
        if (options.Reasoning?.Effort is { } effort) parameters["reasoning_effort"] = effort.ToString().ToLowerInvariant();
        switch (options.ResponseFormat)
        {
            case ChatResponseFormatText:
                parameters["response_format"] = "text";
                break;
            case ChatResponseFormatJson json when json.Schema is not null:
                parameters["response_format"] = new Dictionary<string, object?> { ["type"] = "json_schema", ["name"] = json.SchemaName };
                break;
            case ChatResponseFormatJson:
                parameters["response_format"] = "json";
                break;
        }
        return parameters;
    }

    /// <summary>Names of additional counts that mean "input tokens read from the provider's cache".</summary>
    static readonly HashSet<string> CachedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "cached_tokens", "cached_prompt_tokens", "cache_read_input_tokens", TokenUsage.CacheReadKey,
        "CachedInputTokenCount", "InputTokenDetails.CachedTokenCount",
    };

    /// <summary>Names of additional counts that mean "reasoning tokens".</summary>
    static readonly HashSet<string> ReasoningNames = new(StringComparer.OrdinalIgnoreCase)
    {
        TokenUsage.ReasoningKey, "ReasoningTokenCount", "OutputTokenDetails.ReasoningTokenCount",
    };

    /// <summary>Names of additional counts that mean "input tokens written to the provider's cache".</summary>
    static readonly HashSet<string> CacheWriteNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "cache_creation_input_tokens", "cache_creation_tokens", "cache_write_tokens",
    };

    /// <summary>
    /// Canonical token usage: <c>(prompt, completion, extras)</c> where extras hold <c>total_tokens</c>,
    /// <c>cache_read_tokens</c>, <c>reasoning_tokens</c>, <c>cache_creation_tokens</c> and any other additional count
    /// under its own name; zero and negative extras are left out. <c>null</c> when there is no usage.
    /// </summary>
    public static (long Prompt, long Completion, Dictionary<string, long> Extra)? Usage(UsageDetails? usage)
    {
        if (usage is null) return null;
        var extra = new Dictionary<string, long>();
        void Put(string key, long? value)
        {
            if (value is > 0 && !extra.ContainsKey(key)) extra[key] = value.Value;
        }
        Put(TokenUsage.TotalKey, usage.TotalTokenCount);
        Put(TokenUsage.CacheReadKey, usage.CachedInputTokenCount);
        Put(TokenUsage.ReasoningKey, usage.ReasoningTokenCount);
        if (usage.AdditionalCounts is { } counts)
            foreach (var (name, value) in counts)
            {
                var key = CachedNames.Contains(name) ? TokenUsage.CacheReadKey
                    : ReasoningNames.Contains(name) ? TokenUsage.ReasoningKey
                    : CacheWriteNames.Contains(name) ? "cache_creation_tokens"
                    : name;
                if (key is TokenUsage.PromptKey or TokenUsage.CompletionKey) continue;
                Put(key, value);
            }
        if (usage.InputTokenCount is null && usage.OutputTokenCount is null && extra.Count == 0) return null;
        return (Math.Max(0, usage.InputTokenCount ?? 0), Math.Max(0, usage.OutputTokenCount ?? 0), extra);
    }

    /// <summary>The reasoning text of <paramref name="messages"/>, parts joined with a blank line; <c>null</c> when there is none.</summary>
    public static string? ReasoningSummary(IEnumerable<ChatMessage> messages)
    {
        var texts = messages.SelectMany(m => m.Contents.OfType<TextReasoningContent>())
            .Select(r => r.Text)
            .Where(t => !string.IsNullOrEmpty(t))
            .ToList();
        return texts.Count == 0 ? null : string.Join("\n\n", texts);
    }
}

/// <summary>
/// Chat messages in messages form, written straight into the capture's UTF-8 buffer when a span or trace setter
/// captures the value (on the caller's thread, within that call; nothing keeps the caller's objects afterwards): no
/// JSON node tree is built and serialised again, and the JSON is what that tree gave, byte for byte. Captured in full,
/// as the tree was; the platform limits apply in the enrichment.
/// </summary>
internal sealed class ChatMessages(IReadOnlyList<ChatMessage> messages, string? instructions) : IJsonWritable
{
    readonly IReadOnlyList<ChatMessage> messages = messages;
    readonly string? instructions = instructions;

    /// <summary>The form of the last message with <paramref name="role"/> (see <see cref="ChatTelemetry.LastMessageForm"/>).</summary>
    public ChatMessages? LastWithRole(string role) => ChatTelemetry.LastMessageForm(messages, role);

    /// <summary>The text of the first message with <paramref name="role"/>, cut to <paramref name="max"/> characters (an ellipsis ends a cut one).</summary>
    public string? FirstText(string role, int max) =>
        ChatTelemetry.Shorten(messages.FirstOrDefault(m => m.Role.Value == role)?.Text, max);

    /// <inheritdoc />
    public void WriteTo(Utf8JsonWriter writer) => ChatTelemetry.WriteForm(writer, messages, instructions);
}
