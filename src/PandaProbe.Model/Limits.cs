namespace PandaProbe.Model;

/// <summary>
/// The platform's size rules (mirrored from its schema), all of them, in one place, with the pure functions that apply
/// them. Names, texts and payloads over a limit are truncated with a visible marker rather than refused, so a trace is
/// never lost to a long name; a score over its limits is refused before it is sent (<c>ClientLimits</c>).
/// </summary>
internal static class Limits
{
    /// <summary>The longest trace or span name the platform accepts.</summary>
    public const int MaxNameLength = 512;
    /// <summary>The longest model, session, user, environment or release string the platform accepts.</summary>
    public const int MaxShortTextLength = 255;
    /// <summary>The longest score name and value the platform stores.</summary>
    public const int MaxScoreText = 255;
    /// <summary>The longest project name the platform accepts.</summary>
    public const int MaxProjectNameLength = 255;
    /// <summary>The most spans one <c>POST /traces</c> (or one <c>POST /traces/{id}/spans</c>) may carry.</summary>
    public const int MaxSpansPerRequest = 500;
    /// <summary>The marker that ends a truncated value.</summary>
    public const string TruncationMarker = "…[truncated]";
    /// <summary>
    /// The most UTF-8 bytes one recorded value (an input, an output, a metadata value, a log's data) keeps; a longer
    /// text is cut to this many characters and a larger object keeps the start of its JSON, as text, both ending with
    /// <see cref="TruncationMarker"/>. It bounds what capturing a value costs the caller's thread (a 10 MB string, a
    /// dictionary of a million entries).
    /// </summary>
    public const int MaxValueBytes = 1 << 20;
    /// <summary>
    /// The default of the most characters the inputs and outputs of one span keep together; past it each is cut to its
    /// share, ending with <see cref="TruncationMarker"/> (on the export side, each cut reported as an adjustment). The
    /// budgets in force are <see cref="Enrichment.PayloadBudgets"/>, which the user may set.
    /// </summary>
    public const int MaxSpanPayloadChars = 4 << 20;
    /// <summary>The default of the most characters the inputs and outputs of one trace and all its spans keep together.</summary>
    public const int MaxTracePayloadChars = 16 << 20;
    /// <summary>
    /// The most characters of span inputs, outputs, metadata, parameters and logs one request carries (estimated per
    /// span from the values' lengths plus <see cref="RequestOverheadPerSpan"/>): a trace's spans are split into more
    /// requests past it, as past <see cref="MaxSpansPerRequest"/>. A span larger than that goes alone; none is dropped
    /// for its size.
    /// </summary>
    public const long MaxRequestChars = 4 << 20;
    /// <summary>The characters counted for one span's fields besides its values (ids, name, times, usage) when splitting.</summary>
    public const int RequestOverheadPerSpan = 512;
    /// <summary>The name given to a trace or span whose name was empty.</summary>
    public const string UnnamedName = "unnamed";

    /// <summary>
    /// The value cut to <paramref name="max"/> characters, ending with <see cref="TruncationMarker"/>, or unchanged.
    /// The cut never splits a surrogate pair (the result is then one character shorter).
    /// </summary>
    public static string Truncate(string value, int max)
    {
        if (value.Length <= max) return value;
        var keep = max - TruncationMarker.Length;
        if (keep > 0 && char.IsHighSurrogate(value[keep - 1])) keep--;
        return string.Concat(value.AsSpan(0, keep), TruncationMarker);
    }

    /// <summary>A name fit for the wire: empty becomes <see cref="UnnamedName"/>, long is truncated.</summary>
    public static string Name(string? name) =>
        string.IsNullOrWhiteSpace(name) ? UnnamedName : Truncate(name, MaxNameLength);

    /// <summary>A short text (model, session, user, environment, release) fit for the wire.</summary>
    public static string ShortText(string value) => Truncate(value, MaxShortTextLength);
}
