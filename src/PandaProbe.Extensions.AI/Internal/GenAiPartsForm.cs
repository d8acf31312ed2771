using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The streaming conversion of the semantic conventions' parts form (the <c>gen_ai.input.messages</c>,
/// <c>gen_ai.output.messages</c> and <c>gen_ai.system_instructions</c> attributes of v1.37+) into PandaProbe's messages
/// form: the attribute's JSON is read into a pooled <see cref="JsonDocument"/> and the converted messages are written
/// with the capture's <see cref="Utf8JsonWriter"/> straight into the captured payload's UTF-8 (see
/// <see cref="IJsonWritable"/>), with no node tree built and serialised again. The JSON is what
/// <see cref="GenAiActivityMapping.MessagesForm(object?, object?)"/>'s tree gave, byte for byte.
/// </summary>
/// <remarks>
/// What that tree did with inputs it could not read (a duplicate key in a message or a part, which it refused; a lone
/// surrogate escape, which it could not read as text; malformed JSON, or JSON too deep to record) is left to it:
/// <see cref="TryConvert"/> then answers <c>false</c> and the caller converts with the tree, as before. Never throws.
/// </remarks>
internal static class GenAiPartsForm
{
    /// <summary>
    /// The messages are read at most 63 deep: the messages form nests a part one level deeper than the list it came
    /// from, and the capture records at most 64 levels (deeper lists go to the tree, which records them as it did).
    /// </summary>
    static readonly JsonDocumentOptions MessagesOptions = new() { MaxDepth = 63 };

    /// <summary>Instructions are read as the tree read them (at most 64 deep); they are written as text only.</summary>
    static readonly JsonDocumentOptions InstructionsOptions = default;

    /// <summary>The most keys of one message or part checked pairwise for duplicates; an object with more goes to the tree.</summary>
    const int MaxCheckedKeys = 64;

    /// <summary>
    /// Converts <paramref name="messages"/> (an attribute's text) with <paramref name="instructions"/> as a leading
    /// system message: <paramref name="form"/> is the messages form as a captured payload, or <c>null</c> when the
    /// messages are not a list (as the tree gave <c>null</c>). <c>false</c> when the input is one the tree must convert
    /// (see the remarks of <see cref="GenAiPartsForm"/>), or the conversion failed.
    /// </summary>
    /// <param name="messages">The messages attribute's text, or <c>null</c> when there is none.</param>
    /// <param name="instructions">The instructions attribute's text, or <c>null</c> when there is none.</param>
    /// <param name="fromEvent">
    /// <c>true</c> for the attributes of the v1.37 details event, which were read as the event's values are (text that
    /// does not start with <c>[</c> or <c>{</c> is text); <c>false</c> for the activity's own tags (any JSON is read).
    /// </param>
    /// <param name="form">The messages form, or <c>null</c>.</param>
    public static bool TryConvert(string? messages, string? instructions, bool fromEvent, out Payload? form)
    {
        form = null;
        JsonDocument? list = null, system = null;
        try
        {
            if (!ReadMessages(messages, fromEvent, out list)) return false;
            if (list is null || list.RootElement.ValueKind != JsonValueKind.Array)
                return instructions is null || IsValidUtf16(instructions);   // the tree read them too, and failed only on these
            if (!ReadInstructions(instructions, fromEvent, out system, out var text, out var single)) return false;
            if (!Convertible(list.RootElement)) return false;
            if (!PayloadCapture.TryCapture(new Form(list.RootElement, text, single), out var captured))
            {
                SelfLog.Write("gen_ai messages: the parts form could not be written; converted as a tree");
                return false;
            }
            form = captured;
            return true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai messages: the parts form could not be streamed ({ex.GetType().Name}: {ex.Message}); converted as a tree");
            return false;
        }
        finally
        {
            list?.Dispose();
            system?.Dispose();
        }
    }

    /// <summary>
    /// Reads the messages' JSON: <paramref name="document"/> is <c>null</c> when there is none or it is text that is
    /// no list; <c>false</c> when the tree must read it (malformed, too deep, a lone surrogate escape, not UTF-16).
    /// </summary>
    static bool ReadMessages(string? text, bool fromEvent, out JsonDocument? document)
    {
        document = null;
        if (text is null || fromEvent && !StartsAsJson(text)) return true;
        if (HasLoneSurrogateEscape(text)) return false;
        try { document = JsonDocument.Parse(text, MessagesOptions); }
        catch (Exception e) when (e is JsonException or ArgumentException) { return false; }
        return true;
    }

    /// <summary>
    /// Reads the instructions as the tree did: their <paramref name="text"/>, or the one JSON string
    /// (<paramref name="single"/>) that is all of it; neither when there are none. <c>false</c> when the tree must read
    /// them (not UTF-16, a lone surrogate escape, a duplicate key in a part).
    /// </summary>
    static bool ReadInstructions(string? raw, bool fromEvent, out JsonDocument? document, out string? text, out JsonElement single)
    {
        document = null;
        text = null;
        single = default;
        if (raw is null || fromEvent && raw.Length == 0) return true;
        if (fromEvent && !StartsAsJson(raw))
        {
            text = raw;
            return true;
        }
        if (HasLoneSurrogateEscape(raw)) return false;
        try { document = JsonDocument.Parse(raw, InstructionsOptions); }
        catch (JsonException)
        {
            text = raw;   // not JSON: the text itself
            return true;
        }
        catch (ArgumentException) { return false; }
        var root = document.RootElement;
        switch (root.ValueKind)
        {
            case JsonValueKind.Null:
                text = raw;
                return true;
            case JsonValueKind.String:
                single = root;
                return true;
            case JsonValueKind.Array:
                return ConcatContents(root, out text, out single);
            case JsonValueKind.Object:
                return true;
            default:
                text = NodeText(root);
                return true;
        }
    }

    /// <summary>
    /// The <c>content</c> of each object of a list of instruction parts, joined: the one JSON string that is all of it
    /// (<paramref name="single"/>), else the text; <c>false</c> for a part with a duplicate key (the tree refused it).
    /// </summary>
    static bool ConcatContents(JsonElement parts, out string? text, out JsonElement single)
    {
        text = null;
        single = default;
        var count = 0;
        JsonElement first = default;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object) continue;
            if (HasDuplicateKey(part)) return false;
            if (!part.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) continue;
            if (count++ == 0) first = content;
        }
        if (count == 0) text = string.Empty;
        else if (count == 1 && first.ValueKind == JsonValueKind.String) single = first;
        else
        {
            var joined = new StringBuilder();
            foreach (var part in parts.EnumerateArray())
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null)
                    joined.Append(content.ValueKind == JsonValueKind.String ? content.GetString() : NodeText(content));
            text = joined.ToString();
        }
        return true;
    }

    /// <summary><c>true</c> when the text's first non-white-space character opens a JSON object or list (the details event's rule).</summary>
    static bool StartsAsJson(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        return trimmed.Length > 0 && (trimmed[0] == '[' || trimmed[0] == '{');
    }

    /// <summary>
    /// <c>true</c> when every message and every part of the list has distinct keys, as the tree required (it refused
    /// a duplicate in the objects it looked into, not deeper).
    /// </summary>
    static bool Convertible(JsonElement list)
    {
        foreach (var message in list.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object) continue;
            if (HasDuplicateKey(message)) return false;
            if (!message.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array) continue;
            foreach (var part in parts.EnumerateArray())
                if (part.ValueKind == JsonValueKind.Object && HasDuplicateKey(part)) return false;
        }
        return true;
    }

    /// <summary>
    /// <c>true</c> when two keys of <paramref name="obj"/> are the same once unescaped, or it has too many keys to
    /// compare pairwise (left to the tree).
    /// </summary>
    internal static bool HasDuplicateKey(JsonElement obj)
    {
        var index = 0;
        foreach (var property in obj.EnumerateObject())
        {
            if (index >= MaxCheckedKeys) return true;
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            var escaped = raw.IndexOf((byte)'\\') >= 0 ? property.Name : null;   // written with an escape: compared unescaped
            var earlier = 0;
            foreach (var other in obj.EnumerateObject())
            {
                if (earlier++ == index) break;
                if (escaped is null ? other.NameEquals(raw) : other.NameEquals(escaped)) return true;
            }
            index++;
        }
        return false;
    }

    /// <summary>
    /// <c>true</c> when the JSON text escapes half of a surrogate pair (<c>\ud800</c> alone), which cannot be read as
    /// text (the tree threw on it where it read it).
    /// </summary>
    internal static bool HasLoneSurrogateEscape(string text)
    {
        var span = text.AsSpan();
        var at = 0;
        while (at < span.Length)
        {
            var found = span[at..].IndexOf('\\');
            if (found < 0) return false;
            at += found;
            if (at + 1 >= span.Length) return false;
            if (span[at + 1] != 'u' || !TryHex(span, at + 2, out var unit))
            {
                at += 2;   // another escape (or malformed, which the reader rejects)
                continue;
            }
            if (char.IsLowSurrogate(unit)) return true;
            if (char.IsHighSurrogate(unit))
            {
                if (at + 11 >= span.Length || span[at + 6] != '\\' || span[at + 7] != 'u' || !TryHex(span, at + 8, out var low)
                    || !char.IsLowSurrogate(low)) return true;
                at += 12;
                continue;
            }
            at += 6;
        }
        return false;
    }

    /// <summary>The UTF-16 unit written as four hex digits at <paramref name="at"/>.</summary>
    static bool TryHex(ReadOnlySpan<char> span, int at, out char unit)
    {
        unit = '\0';
        if (at + 4 > span.Length) return false;
        var value = 0;
        for (var i = at; i < at + 4; i++)
        {
            var digit = span[i] switch
            {
                >= '0' and <= '9' => span[i] - '0',
                >= 'a' and <= 'f' => span[i] - 'a' + 10,
                >= 'A' and <= 'F' => span[i] - 'A' + 10,
                _ => -1,
            };
            if (digit < 0) return false;
            value = value * 16 + digit;
        }
        unit = (char)value;
        return true;
    }

    /// <summary>The UTF-16 surrogates (U+D800 to U+DFFF), searched for vectorised.</summary>
    static readonly SearchValues<char> Surrogates = SearchValues.Create(SurrogateRange());

    /// <summary>The characters U+D800 to U+DFFF.</summary>
    static char[] SurrogateRange()
    {
        var range = new char[0xE000 - 0xD800];
        for (var i = 0; i < range.Length; i++) range[i] = (char)(0xD800 + i);
        return range;
    }

    /// <summary><c>true</c> when the text is well-formed UTF-16 (every surrogate in a pair), which JSON text must be to be read at all.</summary>
    internal static bool IsValidUtf16(string text)
    {
        var span = text.AsSpan();
        var at = span.IndexOfAny(Surrogates);
        if (at < 0) return true;
        for (; at < span.Length; at++)
        {
            if (char.IsLowSurrogate(span[at])) return false;
            if (!char.IsHighSurrogate(span[at])) continue;
            if (at + 1 >= span.Length || !char.IsLowSurrogate(span[at + 1])) return false;
            at++;
        }
        return true;
    }

    /// <summary>The messages form of a parts-form list, written when the capture asks (while its documents are open).</summary>
    sealed class Form(JsonElement messages, string? instructions, JsonElement single) : IJsonWritable
    {
        /// <inheritdoc />
        public void WriteTo(Utf8JsonWriter writer) => Write(writer, messages, instructions, single);
    }

    /// <summary>
    /// Writes <c>{"messages":[…]}</c>: the instructions (<paramref name="instructions"/>, or the JSON string
    /// <paramref name="single"/>) as a system message when they are not empty, then each message of
    /// <paramref name="messages"/> (see <see cref="WriteMessage"/>).
    /// </summary>
    static void Write(Utf8JsonWriter writer, JsonElement messages, string? instructions, JsonElement single)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("messages");
        var hasSingle = single.ValueKind == JsonValueKind.String && !single.ValueEquals(ReadOnlySpan<byte>.Empty);
        if (hasSingle || !string.IsNullOrEmpty(instructions))
        {
            writer.WriteStartObject();
            writer.WriteString("role", "system");
            writer.WritePropertyName("content");
            if (hasSingle) single.WriteTo(writer);
            else writer.WriteStringValue(instructions);
            writer.WriteEndObject();
        }
        foreach (var message in messages.EnumerateArray())
            if (message.ValueKind == JsonValueKind.Object)
                WriteMessage(writer, message);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The kinds of part the conversion tells apart (by the part's <c>type</c>).</summary>
    enum PartKind { Other, Text, ToolCall, ToolCallResponse, Reasoning, Binary }

    static PartKind Kind(JsonElement part)
    {
        if (!part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String) return PartKind.Other;
        if (type.ValueEquals("text"u8)) return PartKind.Text;
        if (type.ValueEquals("tool_call"u8)) return PartKind.ToolCall;
        if (type.ValueEquals("tool_call_response"u8)) return PartKind.ToolCallResponse;
        if (type.ValueEquals("reasoning"u8)) return PartKind.Reasoning;
        if (type.ValueEquals("blob"u8) || type.ValueEquals("file"u8) || type.ValueEquals("uri"u8)) return PartKind.Binary;
        return PartKind.Other;
    }

    /// <summary>
    /// Writes one message in messages form, or one <c>tool</c> message per result when every part is a
    /// <c>tool_call_response</c>. Text parts are joined into a string <c>content</c>; any other part (a binary part
    /// described, see <see cref="WriteBinary"/>; an unknown part as it is) makes the content a list of parts;
    /// <c>tool_call</c> parts become <c>tool_calls</c>; reasoning parts are left out.
    /// </summary>
    static void WriteMessage(Utf8JsonWriter writer, JsonElement message)
    {
        var parts = message.TryGetProperty("parts", out var found) && found.ValueKind == JsonValueKind.Array ? found : default;
        var hasParts = parts.ValueKind == JsonValueKind.Array;
        int all = 0, responses = 0, texts = 0, calls = 0;
        var onlyText = true;
        JsonElement text = default;
        if (hasParts)
            foreach (var part in parts.EnumerateArray())
            {
                all++;
                if (part.ValueKind != JsonValueKind.Object) continue;
                switch (Kind(part))
                {
                    case PartKind.Text:
                        if (texts++ == 0) text = part;
                        break;
                    case PartKind.ToolCall: calls++; break;
                    case PartKind.Reasoning: break;
                    case PartKind.ToolCallResponse:
                        responses++;
                        onlyText = false;
                        break;
                    default:
                        onlyText = false;
                        break;
                }
            }

        if (responses > 0 && responses == all)
        {
            foreach (var part in parts.EnumerateArray())
            {
                writer.WriteStartObject();
                writer.WriteString("role", "tool");
                writer.WritePropertyName("tool_call_id");
                WriteText(writer, part, "id");
                writer.WritePropertyName("content");
                if (!part.TryGetProperty("response", out var response) || response.ValueKind == JsonValueKind.Null) writer.WriteNullValue();
                else if (response.ValueKind == JsonValueKind.String) response.WriteTo(writer);
                else WriteJsonText(writer, response, indented: false);
                writer.WriteEndObject();
            }
            return;
        }

        writer.WriteStartObject();
        writer.WritePropertyName("role");
        if (message.TryGetProperty("role", out var role) && role.ValueKind != JsonValueKind.Null) WriteText(writer, role);
        else writer.WriteStringValue("user");
        if (message.TryGetProperty("name", out var name) && name.ValueKind != JsonValueKind.Null
            && !(name.ValueKind == JsonValueKind.String && name.ValueEquals(ReadOnlySpan<byte>.Empty)))
        {
            writer.WritePropertyName("name");
            WriteText(writer, name);
        }
        writer.WritePropertyName("content");
        if (!onlyText)
        {
            writer.WriteStartArray();
            foreach (var part in parts.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object) continue;
                switch (Kind(part))
                {
                    case PartKind.Text:
                        writer.WriteStartObject();
                        writer.WriteString("type", "text");
                        writer.WritePropertyName("text");
                        WriteText(writer, part, "content", string.Empty);
                        writer.WriteEndObject();
                        break;
                    case PartKind.ToolCall or PartKind.Reasoning:
                        break;
                    case PartKind.Binary when IsDescribed(part):
                        WriteBinary(writer, part);
                        break;
                    default:
                        part.WriteTo(writer);
                        break;
                }
            }
            writer.WriteEndArray();
        }
        else if (texts == 0 && calls > 0) writer.WriteNullValue();
        else if (texts == 0) writer.WriteStringValue(string.Empty);
        else if (texts == 1) WriteText(writer, text, "content", string.Empty);
        else writer.WriteStringValue(JoinedText(parts));
        if (calls > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var part in parts.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object || Kind(part) != PartKind.ToolCall) continue;
                writer.WriteStartObject();
                writer.WritePropertyName("id");
                WriteText(writer, part, "id");
                writer.WriteString("type", "function");
                writer.WriteStartObject("function");
                writer.WritePropertyName("name");
                WriteText(writer, part, "name");
                writer.WritePropertyName("arguments");
                if (!part.TryGetProperty("arguments", out var arguments) || arguments.ValueKind == JsonValueKind.Null) writer.WriteNullValue();
                else WriteJsonText(writer, arguments, indented: false);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>The contents of the text parts of a message, joined (several text parts: rare enough to build the string).</summary>
    static string JoinedText(JsonElement parts)
    {
        var joined = new StringBuilder();
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || Kind(part) != PartKind.Text) continue;
            if (!part.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) continue;
            joined.Append(content.ValueKind == JsonValueKind.String ? content.GetString() : NodeText(content));
        }
        return joined.ToString();
    }

    /// <summary>
    /// <c>true</c> when a binary part can be described (see <see cref="WriteBinary"/>): it has content, a <c>uri</c> or a
    /// <c>file_id</c>; otherwise it is kept as it is.
    /// </summary>
    static bool IsDescribed(JsonElement part) => Has(part, "content") || Has(part, "uri") || Has(part, "file_id");

    /// <summary><c>true</c> when <paramref name="obj"/> has <paramref name="key"/> with a value other than <c>null</c>.</summary>
    static bool Has(JsonElement obj, string key) => obj.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>
    /// A binary part described as <see cref="ChatTelemetry"/> describes <c>DataContent</c> and <c>UriContent</c>, never
    /// with its bytes: inline base64 <c>content</c> → <c>{"type":"data","media_type":…,"bytes":n}</c> (n decoded bytes);
    /// a <c>uri</c> → <c>{"type":"uri","media_type":…,"uri":…}</c>; a provider file id → <c>{"type":"file",…,"file_id":…}</c>;
    /// other content → <c>{"type":"data","media_type":…}</c>.
    /// </summary>
    static void WriteBinary(Utf8JsonWriter writer, JsonElement part)
    {
        writer.WriteStartObject();
        var hasContent = part.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null;
        var kind = hasContent && content.ValueKind == JsonValueKind.String ? "data" : Has(part, "uri") ? "uri" : Has(part, "file_id") ? "file" : "data";
        writer.WriteString("type", kind);
        writer.WritePropertyName("media_type");
        if (part.TryGetProperty("mime_type", out var mediaType) && mediaType.ValueKind != JsonValueKind.Null) WriteText(writer, mediaType);
        else WriteText(writer, part, "media_type");
        if (hasContent && content.ValueKind == JsonValueKind.String) writer.WriteNumber("bytes", DecodedLength(content));
        else if (kind == "uri")
        {
            writer.WritePropertyName("uri");
            WriteText(writer, part, "uri");
        }
        else if (kind == "file")
        {
            writer.WritePropertyName("file_id");
            WriteText(writer, part, "file_id");
        }
        writer.WriteEndObject();
    }

    /// <summary>
    /// The number of bytes base64 text decodes to (white space ignored), without decoding it: counted on the JSON's
    /// own UTF-8 when it is plain ASCII with no escape, else on the string.
    /// </summary>
    static long DecodedLength(JsonElement base64)
    {
        var raw = JsonMarshal.GetRawUtf8Value(base64);
        raw = raw.Length >= 2 ? raw[1..^1] : raw;   // the quotes
        if (raw.IndexOf((byte)'\\') >= 0 || !Ascii.IsValid(raw)) return GenAiActivityMapping.DecodedLength(base64.GetString()!);
        long chars = 0, padding = 0;
        foreach (var b in raw)
        {
            if (b == (byte)' ') continue;   // unescaped JSON text holds no other ASCII white space
            chars++;
            padding = b == (byte)'=' ? padding + 1 : 0;
        }
        return GenAiActivityMapping.Base64Length(chars, padding);
    }

    /// <summary>Writes the text of <paramref name="obj"/>'s <paramref name="key"/> (see <see cref="WriteText(Utf8JsonWriter, JsonElement)"/>), or <paramref name="missing"/> when it has none or <c>null</c>.</summary>
    static void WriteText(Utf8JsonWriter writer, JsonElement obj, string key, string? missing = null)
    {
        if (obj.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null) WriteText(writer, value);
        else if (missing is null) writer.WriteNullValue();
        else writer.WriteStringValue(missing);
    }

    /// <summary>
    /// Writes a value as the text the tree gave for it: a string as it is, anything else as its indented JSON
    /// (<see cref="NodeText"/>), as a string.
    /// </summary>
    static void WriteText(Utf8JsonWriter writer, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) value.WriteTo(writer);
        else WriteJsonText(writer, value, indented: true);
    }

    /// <summary>
    /// Writes <paramref name="value"/>'s JSON, with the default encoder (compact, or indented as a node's text is), as
    /// a string: a tool call's arguments, a tool result that is not a string, a non-string value read as text.
    /// </summary>
    static void WriteJsonText(Utf8JsonWriter writer, JsonElement value, bool indented)
    {
        var scratch = Scratch.Rent(indented);
        try
        {
            value.WriteTo(scratch.Writer);
            scratch.Writer.Flush();
            writer.WriteStringValue(scratch.Buffer.WrittenSpan);
        }
        finally { scratch.Return(); }
    }

    /// <summary>The text a JSON node gave for a value that is not a string: its JSON, indented, with the default encoder.</summary>
    static string NodeText(JsonElement value)
    {
        var scratch = Scratch.Rent(indented: true);
        try
        {
            value.WriteTo(scratch.Writer);
            scratch.Writer.Flush();
            return Encoding.UTF8.GetString(scratch.Buffer.WrittenSpan);
        }
        finally { scratch.Return(); }
    }

    /// <summary>
    /// A buffer and writers with the default encoder (as a node's <c>ToJsonString()</c> and <c>ToString()</c> wrote),
    /// kept per thread between uses; one in use at a time (a use that finds it taken gets its own).
    /// </summary>
    sealed class Scratch
    {
        [ThreadStatic] static Scratch? kept;

        readonly ArrayBufferWriter<byte> buffer = new(256);
        readonly Utf8JsonWriter compact;
        readonly Utf8JsonWriter indented;
        Utf8JsonWriter? current;
        bool busy;

        Scratch()
        {
            compact = new Utf8JsonWriter(buffer);
            indented = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        }

        /// <summary>The buffer the writer writes to.</summary>
        public ArrayBufferWriter<byte> Buffer => buffer;

        /// <summary>The writer asked for.</summary>
        public Utf8JsonWriter Writer => current!;

        /// <summary>This thread's scratch (its own one when that is in use), emptied, with the writer asked for.</summary>
        public static Scratch Rent(bool indented)
        {
            var scratch = kept is { busy: false } free ? free : new Scratch();
            kept ??= scratch;
            scratch.busy = true;
            scratch.buffer.ResetWrittenCount();
            scratch.current = indented ? scratch.indented : scratch.compact;
            scratch.current.Reset(scratch.buffer);
            return scratch;
        }

        /// <summary>Gives the scratch back; a large buffer is not kept.</summary>
        public void Return()
        {
            busy = false;
            if (ReferenceEquals(kept, this) && buffer.Capacity > 64 * 1024) kept = null;
        }
    }
}
