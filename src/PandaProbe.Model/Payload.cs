namespace PandaProbe.Model;

/// <summary>
/// An immutable snapshot of a user value (an input, output, metadata or parameter value), taken when the
/// value was recorded so that later mutation of the user's object cannot rewrite history.
/// </summary>
/// <remarks>
/// Strings are kept as they are (<see cref="IsText"/>), so recording a string costs no serialization;
/// everything else is held as JSON text. Two payloads are equal when their kind and text are equal.
/// </remarks>
public sealed record Payload
{
    private Payload(string value, bool isText) { Value = value; IsText = isText; }

    /// <summary>The string itself when <see cref="IsText"/>, otherwise a JSON text.</summary>
    public string Value { get; }

    /// <summary><c>true</c> when the payload is a plain string (written as a JSON string on the wire).</summary>
    public bool IsText { get; }

    /// <summary>The JSON <c>null</c> value.</summary>
    public static Payload Null { get; } = new("null", false);

    /// <summary>A payload holding a plain string.</summary>
    public static Payload Text(string value) => new(value ?? string.Empty, true);

    /// <summary>A payload holding JSON text, which the caller guarantees is one valid JSON value.</summary>
    public static Payload Json(string json) => string.IsNullOrWhiteSpace(json) ? Null : new(json, false);

    /// <summary>The marker recorded for a value that could not be serialized.</summary>
    /// <param name="typeName">The .NET type name of the value.</param>
    public static Payload Unserializable(string typeName) => Text($"<unserializable {typeName}>");

    /// <summary>The payload as JSON text (strings are quoted and escaped).</summary>
    public string ToJson() => IsText ? JsonText.Quote(Value) : Value;

    /// <inheritdoc />
    public override string ToString() => ToJson();
}
