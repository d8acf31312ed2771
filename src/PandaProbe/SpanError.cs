namespace PandaProbe;

/// <summary>An error recorded on a span: the message sent to the platform and optional structured data.</summary>
/// <param name="Message">The error message.</param>
/// <param name="Data">Extra data about the error (sent under <c>metadata.error_data</c>), if any.</param>
public sealed record SpanError(string Message, IReadOnlyDictionary<string, object?>? Data = null);
