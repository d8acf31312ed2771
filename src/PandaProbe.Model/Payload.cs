using System.Text;

namespace PandaProbe.Model;

/// <summary>
/// An immutable snapshot of a user value (an input, output, metadata or parameter value), taken when the
/// value was recorded so that later mutation of the user's object cannot rewrite history.
/// </summary>
/// <remarks>
/// Strings are kept as they are (<see cref="IsText"/>), so recording a string costs no serialization;
/// everything else is held as JSON text. A value the SDK serialized itself keeps the UTF-8 its serializer wrote, which
/// the wire writer copies as it is (unless it holds an escape that storing rewrites), and <see cref="Value"/> decodes
/// it when first read, so the caller's thread never converts it. Two payloads are equal when their kind and text are
/// equal.
/// </remarks>
public sealed record Payload
{
    string? value;          // the text (for a UTF-8 payload: decoded when first read)
    readonly byte[]? utf8;  // JSON as the capture wrote it, for a value the SDK serialized
    int length = -1;        // the length of Value in characters, once counted

    private Payload(string value, bool isText) { this.value = value; IsText = isText; }

    private Payload(byte[] utf8) => this.utf8 = utf8;

    /// <summary>The string itself when <see cref="IsText"/>, otherwise a JSON text.</summary>
    public string Value => value ??= Encoding.UTF8.GetString(utf8!);

    /// <summary><c>true</c> when the payload is a plain string (written as a JSON string on the wire).</summary>
    public bool IsText { get; }

    /// <summary>The JSON <c>null</c> value.</summary>
    public static Payload Null { get; } = new("null", false);

    /// <summary>A payload holding a plain string.</summary>
    public static Payload Text(string value) => new(value ?? string.Empty, true);

    /// <summary>A payload holding JSON text, which the caller guarantees is one valid JSON value.</summary>
    public static Payload Json(string json) => string.IsNullOrWhiteSpace(json) ? Null : new(json, false);

    /// <summary>A payload holding one JSON value as UTF-8, as the SDK's serializer wrote it (compact, valid).</summary>
    internal static Payload Utf8Json(byte[] utf8) => utf8 is null || utf8.Length == 0 ? Null : new(utf8);

    /// <summary>The UTF-8 the SDK's serializer wrote, when this payload holds it (null otherwise).</summary>
    internal byte[]? Utf8 => utf8;

    /// <summary>The length of <see cref="Value"/> in characters, counted without decoding a UTF-8 payload.</summary>
    internal int Length
    {
        get
        {
            if (length >= 0) return length;
            return length = value?.Length ?? Encoding.UTF8.GetCharCount(utf8!);
        }
    }

    /// <summary>The marker recorded for a value that could not be serialized.</summary>
    /// <param name="typeName">The .NET type name of the value.</param>
    public static Payload Unserializable(string typeName) => Text($"<unserializable {typeName}>");

    /// <summary>The payload as JSON text (strings are quoted and escaped).</summary>
    public string ToJson() => IsText ? JsonText.Quote(Value) : Value;

    /// <summary>Equal when both are text or both JSON, with the same text.</summary>
    public bool Equals(Payload? other) =>
        ReferenceEquals(this, other)
        || other is not null && IsText == other.IsText
           && (utf8 is not null && other.utf8 is not null ? utf8.AsSpan().SequenceEqual(other.utf8) : string.Equals(Value, other.Value, StringComparison.Ordinal));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsText, string.GetHashCode(Value, StringComparison.Ordinal));

    /// <inheritdoc />
    public override string ToString() => ToJson();
}
