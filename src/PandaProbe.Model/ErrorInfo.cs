namespace PandaProbe.Model;

/// <summary>An error reduced to data: a message, the exception type when there was one, and extra data.</summary>
/// <param name="Message">The error text sent to the platform.</param>
/// <param name="Type">The exception's full type name, when the error came from an exception.</param>
/// <param name="Data">Extra structured data about the error.</param>
public sealed record ErrorInfo(string Message, string? Type, Map<string, Payload> Data)
{
    /// <summary>An error with only a message.</summary>
    public static ErrorInfo Of(string message) => new(message ?? string.Empty, null, Map<string, Payload>());

    /// <summary>The error recorded for an exception: its message and type.</summary>
    public static ErrorInfo From(Exception exception) =>
        new(MessageOf(exception), exception.GetType().FullName ?? exception.GetType().Name, Map<string, Payload>());

    /// <summary>
    /// The exception's message; when reading it throws (a user's exception may override <c>Message</c>), a marker
    /// naming the exception's type instead. Never throws.
    /// </summary>
    public static string MessageOf(Exception exception)
    {
        try { return exception.Message ?? string.Empty; }
        catch (Exception) { return $"[the message of {exception.GetType().Name} could not be read]"; }
    }
}
