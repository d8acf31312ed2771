namespace PandaProbe.Model;

/// <summary>What of the values a traced application records may leave the process.</summary>
public enum ContentMode
{
    /// <summary>Everything, as recorded (the default).</summary>
    Full,
    /// <summary>
    /// Everything, after the redaction rules: values under sensitive key names are replaced, and e-mail addresses,
    /// card numbers and API-key shapes are masked wherever they appear in inputs, outputs, metadata, errors, parameters
    /// and logs.
    /// </summary>
    Redacted,
    /// <summary>
    /// No inputs, outputs or log data at all (timings, names, models, token usage, cost, status and ids still leave);
    /// what is left goes through the redaction rules as in <see cref="Redacted"/>.
    /// </summary>
    MetadataOnly,
}
