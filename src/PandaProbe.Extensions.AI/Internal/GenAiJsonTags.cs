using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The gen_ai tags other than messages that hold JSON text: a model call's tool definitions
/// (<c>gen_ai.tool.definitions</c>) and finish reasons (<c>gen_ai.response.finish_reasons</c>), a tool call's arguments
/// and result (<c>gen_ai.tool.call.arguments</c>, <c>gen_ai.tool.call.result</c>). They are read as
/// <see cref="GenAiActivityMapping.Json"/>'s node tree read them and recorded as capturing that tree recorded them, byte
/// for byte, with no tree built: the JSON is read into a pooled <see cref="JsonDocument"/> and written by the capture's
/// <see cref="Utf8JsonWriter"/> straight into the captured payload's UTF-8 (see <see cref="IJsonWritable"/>), as the
/// tree wrote the document it was read from; finish reasons are read with a <see cref="Utf8JsonReader"/>.
/// </summary>
/// <remarks>
/// Text that plainly is no JSON (its first character cannot open a JSON value), malformed JSON (JSON deeper than 64
/// levels included, which the tree's reader refused too) and a JSON <c>null</c> stay the text itself, as they did.
/// Inputs this reading does not reproduce the tree's reading of are read by the tree, as before: text that is not
/// well-formed UTF-16, a lone surrogate escape, JSON more than <see cref="MaxStreamedDepth"/> deep, a duplicate key (or
/// an object with more keys than are compared), a list of finish reasons holding anything but strings and nulls. Never
/// throws itself; the tree may, as it did (text that is not well-formed UTF-16, a lone surrogate escape among finish
/// reasons), and the ingestion's guard around <see cref="ActivityRecorder.Record"/> catches that as before.
/// </remarks>
internal static class GenAiJsonTags
{
    /// <summary>The deepest JSON written from the document; deeper JSON (which the capture may refuse) goes to the tree.</summary>
    const int MaxStreamedDepth = 60;

    /// <summary>The tag of a model call's finish reasons.</summary>
    const string FinishReasonsTag = "gen_ai.response.finish_reasons";

    /// <summary>The tag of a model call's tool definitions.</summary>
    const string ToolDefinitionsTag = "gen_ai.tool.definitions";

    /// <summary>
    /// The value of a tag holding JSON text (a tool call's arguments or result), as the span records it: the JSON
    /// captured as a <see cref="Payload"/> (as capturing <see cref="GenAiActivityMapping.Json"/>'s tree gave it), the
    /// text itself when it is no JSON or a JSON <c>null</c>, <c>null</c> when the activity has no such tag; the tree's
    /// reading for the inputs left to it.
    /// </summary>
    /// <param name="activity">The activity.</param>
    /// <param name="tag">The tag's name.</param>
    public static object? Value(Activity activity, string tag)
    {
        if (GenAiActivityMapping.Text(activity, tag) is not { } text) return null;
        return TryRead(text, listOnly: false, out var value) ? value : GenAiActivityMapping.Json(activity, tag);
    }

    /// <summary>
    /// The tool definitions (<c>gen_ai.tool.definitions</c>) when they are a JSON list, captured as a
    /// <see cref="Payload"/> (the tree's <see cref="JsonArray"/> for the inputs left to it); <c>null</c> otherwise.
    /// </summary>
    /// <param name="activity">The activity.</param>
    public static object? ToolDefinitions(Activity activity)
    {
        if (GenAiActivityMapping.Text(activity, ToolDefinitionsTag) is not { } text) return null;
        return TryRead(text, listOnly: true, out var value) ? value : GenAiActivityMapping.Json(activity, ToolDefinitionsTag) as JsonArray;
    }

    /// <summary>
    /// The finish reason of a model call as its span's metadata records it: one reason as a string, several as a
    /// <see cref="string"/> array, <c>null</c> when there is none. From <c>gen_ai.response.finish_reasons</c> (a string
    /// array; JSON text of a list, whose strings are read; other text as one reason), else
    /// <c>gen_ai.response.finish_reason</c>, else the <c>gen_ai.choice</c> events.
    /// </summary>
    /// <param name="activity">The activity.</param>
    public static object? FinishReason(Activity activity)
    {
        string[] reasons;
        switch (activity.GetTagItem(FinishReasonsTag))
        {
            case string[] list:
                reasons = list;
                break;
            case string text when text.StartsWith('['):
                if (TryReadStrings(text, out var read)) return read;
                reasons = TreeReasons(activity, text);
                break;
            case string single:
                return single;
            default:
                reasons = GenAiActivityMapping.Text(activity, "gen_ai.response.finish_reason") is { Length: > 0 } one ? [one]
                    : GenAiGenerations.ChoiceFinishReasons(activity);
                break;
        }
        return reasons.Length switch
        {
            0 => null,
            1 => reasons[0],
            _ => reasons,
        };
    }

    /// <summary>The finish reasons as the tree read a JSON list of them (for the lists <see cref="TryReadStrings"/> leaves to it).</summary>
    static string[] TreeReasons(Activity activity, string text) =>
        GenAiActivityMapping.Json(activity, FinishReasonsTag) is JsonArray json
            ? json.Select(r => r?.ToString()).OfType<string>().ToArray()
            : [text];

    /// <summary>
    /// Reads <paramref name="text"/> as the tree did: <paramref name="value"/> is the JSON captured as a payload, or the
    /// text itself when it is no JSON (malformed, or a JSON <c>null</c>); with <paramref name="listOnly"/>, only a JSON
    /// list is captured and anything else is <c>null</c>. <c>false</c> when the tree must read it (see the remarks of
    /// <see cref="GenAiJsonTags"/>) or reading failed.
    /// </summary>
    static bool TryRead(string text, bool listOnly, out object? value)
    {
        value = null;
        JsonDocument? document = null;
        try
        {
            if (!GenAiPartsForm.IsValidUtf16(text)) return false;
            if (!MayBeJson(text))
            {
                value = listOnly ? null : text;
                return true;
            }
            if (GenAiPartsForm.HasLoneSurrogateEscape(text)) return false;
            try { document = JsonDocument.Parse(text); }   // the tree's reader options: what it could not read, this cannot
            catch (JsonException)
            {
                value = listOnly ? null : text;
                return true;
            }
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                value = listOnly ? null : text;
                return true;
            }
            if (listOnly && root.ValueKind != JsonValueKind.Array) return true;
            if (!Plain(root, 1)) return false;
            if (!PayloadCapture.TryCapture(new Element(root), out var captured))
            {
                SelfLog.Write("gen_ai tag: JSON could not be written; read as a tree");
                return false;
            }
            value = captured;
            return true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai tag: JSON could not be streamed ({ex.GetType().Name}: {ex.Message}); read as a tree");
            value = null;
            return false;
        }
        finally
        {
            document?.Dispose();
        }
    }

    /// <summary>
    /// <c>false</c> when the text plainly is no JSON value (empty, white space, or its first character after JSON white
    /// space is ASCII and opens no JSON value), which the tree's reader refused; <c>true</c> when it may be.
    /// </summary>
    static bool MayBeJson(string text)
    {
        var trimmed = text.AsSpan().TrimStart(" \t\r\n");
        if (trimmed.Length == 0) return false;
        var first = trimmed[0];
        return first >= 0x80 || first is '{' or '[' or '"' or '-' or (>= '0' and <= '9') or 't' or 'f' or 'n';
    }

    /// <summary>
    /// <c>true</c> when no object in <paramref name="element"/> (at <paramref name="depth"/>) has a duplicate key (or
    /// more keys than are compared) and it is at most <see cref="MaxStreamedDepth"/> deep.
    /// </summary>
    static bool Plain(JsonElement element, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth > MaxStreamedDepth || GenAiPartsForm.HasDuplicateKey(element)) return false;
                foreach (var property in element.EnumerateObject())
                    if (!Plain(property.Value, depth + 1)) return false;
                return true;
            case JsonValueKind.Array:
                if (depth > MaxStreamedDepth) return false;
                foreach (var item in element.EnumerateArray())
                    if (!Plain(item, depth + 1)) return false;
                return true;
            default:
                return true;
        }
    }

    /// <summary>
    /// Reads a JSON list of finish reasons (text starting with <c>[</c>): <paramref name="reasons"/> is its strings in
    /// order, nulls left out, as <see cref="FinishReason"/> gives them (none: <c>null</c>; one: the string; several: an
    /// array). <c>false</c> when the tree must read it: anything but strings and nulls in the list, malformed JSON, text
    /// that is not well-formed UTF-16, a lone surrogate escape; or reading failed.
    /// </summary>
    static bool TryReadStrings(string text, out object? reasons)
    {
        reasons = null;
        byte[]? rented = null;
        try
        {
            if (!GenAiPartsForm.IsValidUtf16(text) || GenAiPartsForm.HasLoneSurrogateEscape(text)) return false;
            var length = Encoding.UTF8.GetByteCount(text);
            Span<byte> utf8 = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
            utf8 = utf8[..Encoding.UTF8.GetBytes(text, utf8)];
            return ReadStrings(utf8, out reasons);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai finish reasons could not be read ({ex.GetType().Name}: {ex.Message}); read as a tree");
            reasons = null;
            return false;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The strings of a JSON list of strings and nulls (see <see cref="TryReadStrings"/>), read in two passes: one to
    /// count them and check the whole text, one to read them. <c>false</c> for any other JSON, or malformed JSON.
    /// </summary>
    static bool ReadStrings(ReadOnlySpan<byte> utf8, out object? reasons)
    {
        reasons = null;
        var reader = new Utf8JsonReader(utf8);   // the tree's reader options
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
            var start = reader;
            var count = 0;
            while (true)
            {
                if (!reader.Read()) return false;
                if (reader.TokenType == JsonTokenType.EndArray) break;
                if (reader.TokenType == JsonTokenType.String) count++;
                else if (reader.TokenType != JsonTokenType.Null) return false;
            }
            if (reader.Read()) return false;   // one value only (anything but white space after it throws)
            if (count == 0) return true;
            reader = start;
            var list = count == 1 ? null : new string[count];
            var at = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String) continue;
                var reason = Known(ref reader) ?? reader.GetString()!;
                if (list is null)
                {
                    reasons = reason;
                    return true;
                }
                list[at++] = reason;
            }
            reasons = list;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The usual finish reasons, so that reading one allocates no string; <c>null</c> for another.</summary>
    static string? Known(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("stop"u8)) return "stop";
        if (reader.ValueTextEquals("tool_calls"u8)) return "tool_calls";
        if (reader.ValueTextEquals("length"u8)) return "length";
        if (reader.ValueTextEquals("content_filter"u8)) return "content_filter";
        return null;
    }

    /// <summary>A JSON value of a document, written as it is when the capture asks (while the document is open).</summary>
    sealed class Element(JsonElement value) : IJsonWritable
    {
        /// <inheritdoc />
        public void WriteTo(Utf8JsonWriter writer) => value.WriteTo(writer);
    }
}
