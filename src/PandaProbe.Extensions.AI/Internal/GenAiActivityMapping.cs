using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Pure conversions from an OpenTelemetry gen_ai <see cref="Activity"/> (semantic conventions for generative AI) to
/// what PandaProbe records, in the same keys and forms as <see cref="PandaProbeChatClient"/> and <see cref="ToolTracing"/>:
/// the span kind and name, the messages form, the whitelisted model parameters and the canonical token keys.
/// </summary>
internal static class GenAiActivityMapping
{
    /// <summary>The operation of an activity: its <c>gen_ai.operation.name</c> tag, else the first word of its name ("{operation} {target}").</summary>
    public static string Operation(Activity activity)
    {
        if (activity.GetTagItem("gen_ai.operation.name") is string { Length: > 0 } op) return op;
        var name = activity.OperationName ?? string.Empty;
        var space = name.IndexOf(' ');
        return space < 0 ? name : name[..space];
    }

    /// <summary>
    /// The span kind of an activity as it starts. The Agent Framework's <c>OpenTelemetryAgent</c> starts its activity
    /// as <c>chat</c> and renames it <c>invoke_agent {name}</c> only once the run is under way, so a <c>chat</c>
    /// activity of the framework's source (<see cref="IsAgentFrameworkSource"/>) that is not inside a run of the
    /// framework is an AGENT (<see cref="IsAgentRunStart"/>). Inside a run (its nearest framework ancestor is already an
    /// <c>invoke_agent</c>), a framework <c>chat</c> is a model call the run reports (the chat client it instruments):
    /// an LLM. Any other source's <c>chat</c> is an LLM, whatever its name (<c>MyCo.Agents.Chat</c>).
    /// </summary>
    public static SpanType StartKind(Activity activity)
    {
        var kind = Kind(Operation(activity));
        return kind == SpanType.Llm && IsAgentRunStart(activity) ? SpanType.Agent : kind;
    }

    /// <summary>
    /// A <c>chat</c> activity of the Agent Framework's sources that is not inside a framework run: an
    /// <c>OpenTelemetryAgent</c>'s run as it starts (renamed <c>invoke_agent</c> once under way). A framework
    /// <c>chat</c> whose nearest framework ancestor is an <c>invoke_agent</c> is a model call of that run instead; one
    /// under a framework <c>execute_tool</c> (an agent called as a tool) is a run again.
    /// </summary>
    public static bool IsAgentRunStart(Activity activity)
    {
        if (Kind(Operation(activity)) != SpanType.Llm || !IsAgentFrameworkSource(activity.Source.Name)) return false;
        var depth = 0;
        for (var a = activity.Parent; a is not null && depth < 64; a = a.Parent, depth++)
            if (IsAgentFrameworkSource(a.Source.Name))
                return Operation(a) != "invoke_agent";
        return true;
    }

    /// <summary>The Agent Framework's sources: <c>Experimental.Microsoft.Agents.AI</c> and <c>Microsoft.Agents.AI</c> (and their sub-sources).</summary>
    public static bool IsAgentFrameworkSource(string name) =>
        IsOrUnder(name, "Experimental.Microsoft.Agents.AI") || IsOrUnder(name, "Microsoft.Agents.AI");

    static bool IsOrUnder(string name, string source) =>
        name.StartsWith(source, StringComparison.Ordinal) && (name.Length == source.Length || name[source.Length] == '.');

    /// <summary>
    /// <c>true</c> when a stopped activity of the kind it started as (<paramref name="startKind"/> AGENT) turned out to
    /// be a chat: the Agent Framework's activity that was never renamed to <c>invoke_agent</c>.
    /// </summary>
    public static bool StayedChat(Activity activity, SpanType startKind) =>
        startKind == SpanType.Agent && Kind(Operation(activity)) == SpanType.Llm;

    /// <summary>Orchestration operations of gen_ai libraries that may open a trace of their own (CHAIN spans).</summary>
    static readonly HashSet<string> Orchestrations = new(StringComparer.Ordinal) { "orchestrate_tools", "invoke_workflow" };

    /// <summary>
    /// Whether an activity may open a trace of its own when none is open: gen_ai work (LLM, TOOL, AGENT, EMBEDDING) and
    /// the known gen_ai orchestrations (<c>orchestrate_tools</c>, <c>invoke_workflow</c>); not any other activity of a
    /// listened source.
    /// </summary>
    public static bool OpensTrace(Activity activity, SpanType kind) =>
        kind is SpanType.Llm or SpanType.Tool or SpanType.Agent or SpanType.Embedding || Orchestrations.Contains(Operation(activity));

    /// <summary><c>true</c> for the known gen_ai orchestrations (<c>orchestrate_tools</c>, <c>invoke_workflow</c>).</summary>
    public static bool IsOrchestration(Activity activity) => Orchestrations.Contains(Operation(activity));

    /// <summary>
    /// The name of the application operation that called a root gen_ai activity: the display name of its nearest
    /// ancestor activity that no gen_ai ingestion recorded (the application's own activity, an ASP.NET Core request),
    /// leaving out PandaProbe's own and the HTTP client's; <c>null</c> when there is none.
    /// </summary>
    public static string? CallerName(Activity activity, Func<Activity, bool> ingested)
    {
        var depth = 0;
        for (var a = activity.Parent; a is not null && depth < 64; a = a.Parent, depth++)
        {
            if (ingested(a)) return null;
            var source = a.Source.Name;
            if (source == Probe.ActivitySourceName || source == PandaProbe.Exporters.ActivityTraceExporter.SourceName
                || source == ToolLoopActivities.SourceName
                || source.StartsWith("System.Net.Http", StringComparison.Ordinal)) continue;
            if (!string.IsNullOrWhiteSpace(a.DisplayName)) return a.DisplayName.Trim();
        }
        return null;
    }

    /// <summary>The span kind for a gen_ai operation name; other activities of the listened sources are CHAIN.</summary>
    public static SpanType Kind(string operation) => operation switch
    {
        "chat" or "text_completion" or "generate_content" or "chat.completions" or "text.completions" => SpanType.Llm,
        "execute_tool" => SpanType.Tool,
        "invoke_agent" or "create_agent" => SpanType.Agent,
        "embeddings" => SpanType.Embedding,
        _ => SpanType.Chain,
    };

    /// <summary>
    /// The span name: <c>chat</c> and <c>embedding</c> as PandaProbe's own middleware names them, the tool's or agent's
    /// name (the activity name's target), else the activity's display name.
    /// </summary>
    public static string SpanName(Activity activity, SpanType kind)
    {
        var name = activity.DisplayName;
        var space = name.IndexOf(' ');
        var target = space < 0 ? null : name[(space + 1)..].Trim();
        return kind switch
        {
            SpanType.Llm => PandaProbeChatClient.DefaultSpanName,
            SpanType.Embedding => PandaProbeEmbeddingGenerator.DefaultSpanName,
            SpanType.Tool or SpanType.Agent when !string.IsNullOrEmpty(target) => target,
            SpanType.Agent => "invoke_agent",
            _ => string.IsNullOrWhiteSpace(name) ? "activity" : name,
        };
    }

    static readonly (string Tag, string Key)[] Parameters =
    [
        ("gen_ai.request.temperature", "temperature"),
        ("gen_ai.request.top_p", "top_p"),
        ("gen_ai.request.top_k", "top_k"),
        ("gen_ai.request.max_tokens", "max_tokens"),
        ("gen_ai.request.frequency_penalty", "frequency_penalty"),
        ("gen_ai.request.presence_penalty", "presence_penalty"),
        ("gen_ai.request.seed", "seed"),
        ("gen_ai.request.stop_sequences", "stop_sequences"),
    ];

    /// <summary>The request's model parameters under the names <see cref="ChatTelemetry.ModelParameters"/> uses.</summary>
    public static Dictionary<string, object?> ModelParameters(Activity activity)
    {
        var parameters = new Dictionary<string, object?>();
        foreach (var (tag, key) in Parameters)
            if (activity.GetTagItem(tag) is { } value) parameters.TryAdd(key, value);
        return parameters;
    }

    /// <summary>Canonical token usage from the <c>gen_ai.usage.*</c> tags of any generation (see <see cref="GenAiGenerations.Usage"/>).</summary>
    public static (long Prompt, long Completion, Dictionary<string, long> Extra)? Usage(Activity activity) => GenAiGenerations.Usage(activity);

    /// <summary>A tag's value as a string (an array of strings joined as JSON), or <c>null</c>.</summary>
    public static string? Text(Activity activity, string tag) => activity.GetTagItem(tag) switch
    {
        null => null,
        string s => s,
        string[] list => list.Length == 1 ? list[0] : JsonSerializer.Serialize(list),
        var other => System.Convert.ToString(other, CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// A tag holding JSON text as a node; plain text stays a string. The tree reading: for the messages form the
    /// streaming conversion leaves to the tree (<see cref="MessagesForm(Activity, string, string?)"/>) and for the tool
    /// definitions, finish reasons, arguments and results <see cref="GenAiJsonTags"/> leaves to it.
    /// </summary>
    public static object? Json(Activity activity, string tag)
    {
        if (Text(activity, tag) is not { } text) return null;
        try { return JsonNode.Parse(text) ?? (object?)text; }
        catch (JsonException) { return text; }
    }

    /// <summary>
    /// Messages in the semantic conventions' form (<c>[{"role":…,"parts":[{"type":"text","content":…}, {"type":"tool_call",…}]}]</c>)
    /// converted to PandaProbe's messages form (<c>{"messages":[{"role":…,"content":…,"tool_calls":[…]}]}</c>), with
    /// the text of <paramref name="instructionsTag"/> as a leading system message; <c>null</c> when the tag is absent or not such a list.
    /// As a tree: for the inputs <see cref="GenAiPartsForm"/>, which streams the parts form, leaves to it.
    /// </summary>
    public static JsonObject? MessagesForm(Activity activity, string tag, string? instructionsTag = null) =>
        MessagesForm(Json(activity, tag), instructionsTag is null ? null : Json(activity, instructionsTag));

    /// <summary>
    /// <paramref name="messages"/> (a list in the semantic conventions' parts form) in PandaProbe's messages form, with
    /// <paramref name="instructions"/> (text, or a list of parts) as a leading system message; <c>null</c> when
    /// <paramref name="messages"/> is not such a list. The tree conversion: for a message of an older form that holds
    /// parts, and for the parts-form inputs <see cref="GenAiPartsForm"/> leaves to it (it writes the same JSON).
    /// </summary>
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

    /// <summary>
    /// A binary part described as <see cref="ChatTelemetry"/> describes <c>DataContent</c> and <c>UriContent</c>, never
    /// with its bytes: inline base64 <c>content</c> → <c>{"type":"data","media_type":…,"bytes":n}</c> (n decoded bytes);
    /// a <c>uri</c> → <c>{"type":"uri","media_type":…,"uri":…}</c>; a provider file id → <c>{"type":"file",…,"file_id":…}</c>.
    /// </summary>
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

    /// <summary>The number of bytes base64 text decodes to (whitespace ignored), without decoding it.</summary>
    internal static long DecodedLength(string base64)
    {
        long chars = 0, padding = 0;
        foreach (var c in base64)
        {
            if (char.IsWhiteSpace(c)) continue;
            chars++;
            padding = c == '=' ? padding + 1 : 0;
        }
        return Base64Length(chars, padding);
    }

    /// <summary>The decoded length of <paramref name="chars"/> base64 characters ending in <paramref name="padding"/> <c>=</c>.</summary>
    internal static long Base64Length(long chars, long padding) =>
        Math.Max(0, chars / 4 * 3 + (chars % 4 is var rest and > 1 ? rest - 1 : 0) - padding);

    /// <summary>
    /// The activity's error, if it failed: its status description, else the <c>exception</c> event's message, else its
    /// <c>error.type</c>; <c>null</c> when it did not fail.
    /// </summary>
    public static (string Message, Dictionary<string, object?> Data)? Error(Activity activity)
    {
        var errorType = Text(activity, "error.type");
        var exception = activity.Events.FirstOrDefault(e => e.Name == "exception");
        var hasException = exception.Name == "exception";
        if (activity.Status != ActivityStatusCode.Error && errorType is null && !hasException) return null;
        string? exceptionMessage = null, exceptionType = null;
        if (hasException)
            foreach (var (key, value) in exception.Tags)
            {
                if (key == "exception.message") exceptionMessage = value?.ToString();
                else if (key == "exception.type") exceptionType = value?.ToString();
            }
        var message = !string.IsNullOrEmpty(activity.StatusDescription) ? activity.StatusDescription
            : exceptionMessage ?? errorType ?? exceptionType ?? "error";
        var data = new Dictionary<string, object?>();
        if ((exceptionType ?? errorType) is { } type) data["type"] = type;
        return (message, data);
    }
}
