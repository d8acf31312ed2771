using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PandaProbe.Redaction;

/// <summary>
/// The redaction step of the export side: what of a trace, span or score may leave the process, by
/// <see cref="ContentMode"/>. Under <see cref="ContentMode.Redacted"/> a value under a sensitive key name (in metadata,
/// parameters, error data, or any JSON object inside an input or output) is replaced by <see cref="Marker"/>, and every
/// text (strings inside JSON included) has its e-mail addresses, card numbers and API-key shapes masked
/// (<c>[REDACTED:email]</c>, <c>[REDACTED:card]</c>, <c>[REDACTED:key]</c>), then the extra patterns and the custom
/// function are applied. <see cref="ContentMode.MetadataOnly"/> also leaves out every input, output and log line.
/// Names, ids, models, token usage, costs, times and statuses are never changed. Pure and total: a value whose
/// patterns run out of time (a pathological text) is masked whole, and a custom function that throws masks the value
/// whole, so a failure never lets a value out unredacted.
/// </summary>
internal sealed class Redactor
{
    /// <summary>What replaces a value under a sensitive key, and a value that could not be checked.</summary>
    public const string Marker = "[REDACTED]";

    /// <summary>The key names redacted by default (compared without case, spaces, dashes and underscores; a key also matches when it ends with one).</summary>
    public static readonly IReadOnlyList<string> DefaultKeyNames =
        ["password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "authorization", "cookie", "ssn", "creditcard", "cardnumber", "cvv"];

    /// <summary>Lets everything through.</summary>
    public static Redactor Off { get; } = new(ContentMode.Full, [], false, false, false, [], null);

    static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);

    static readonly Regex Email = new(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternTimeout);

    static readonly Regex Card = new(@"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])",
        RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternTimeout);

    static readonly Regex ApiKey = new(
        @"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|sk_(?:live|test|pp)_[A-Za-z0-9]{8,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})|(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]{16,}",
        RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternTimeout);

    /// <summary>What every API-key shape starts with: a text holding none of these cannot match <see cref="ApiKey"/>.</summary>
    static readonly SearchValues<string> ApiKeyStarts = SearchValues.Create(
        ["sk-", "sk_", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza", "eyJ", "Bearer"],
        StringComparison.Ordinal);

    readonly ContentMode mode;
    readonly string[] keys;
    readonly (Regex Pattern, string Replacement, bool Luhn, Func<ReadOnlySpan<char>, bool>? MayMatch)[] patterns;
    readonly Func<string, string>? custom;
    readonly bool builtInsOnly;   // no extra pattern and no custom function: the built-in rules' cheap tests decide

    /// <param name="mode">What may leave; <see cref="ContentMode.Full"/> lets everything through unchanged.</param>
    /// <param name="keyNames">Key names whose values are replaced.</param>
    /// <param name="emails">Mask e-mail addresses.</param>
    /// <param name="cards">Mask card numbers (13 to 19 digits, spaces or dashes between, passing the Luhn check).</param>
    /// <param name="apiKeys">Mask API-key shapes (OpenAI, Anthropic, AWS, GitHub, Slack, Google, JWTs, bearer tokens).</param>
    /// <param name="extra">More patterns, each match replaced by <see cref="Marker"/>.</param>
    /// <param name="custom">Applied last to every text (after the patterns).</param>
    public Redactor(ContentMode mode, IEnumerable<string> keyNames, bool emails, bool cards, bool apiKeys, IEnumerable<Regex> extra,
        Func<string, string>? custom)
    {
        this.mode = mode;
        keys = keyNames.Where(k => !string.IsNullOrWhiteSpace(k)).Select(Normalise).Distinct().ToArray();
        var list = new List<(Regex, string, bool, Func<ReadOnlySpan<char>, bool>?)>();
        if (emails) list.Add((Email, "[REDACTED:email]", false, text => text.Contains('@')));
        if (cards) list.Add((Card, "[REDACTED:card]", true, HasThirteenDigits));
        if (apiKeys) list.Add((ApiKey, "[REDACTED:key]", false, text => text.ContainsAny(ApiKeyStarts)));
        foreach (var r in extra) if (r is not null) list.Add((r, Marker, false, null));
        patterns = [.. list];
        this.custom = custom;
        builtInsOnly = custom is null && patterns.All(p => p.MayMatch is not null);
    }

    /// <summary><c>true</c> when this redactor changes nothing.</summary>
    public bool IsNone => mode == ContentMode.Full;

    /// <summary>The mode.</summary>
    public ContentMode Mode => mode;

    /// <summary>A reducer output with its trace, span or score redacted; other outputs unchanged.</summary>
    public Output Apply(Output output) => IsNone ? output : output switch
    {
        Output.TraceCompleted c => new Output.TraceCompleted(Apply(c.Trace)),
        Output.SpanCompleted c => c with { Span = Apply(c.Span) },
        Output.TraceStarted s => new Output.TraceStarted(Apply(s.Trace)),
        Output.SpanStarted s => new Output.SpanStarted(Apply(s.Span)),
        Output.ScoreSubmitted s => new Output.ScoreSubmitted(Apply(s.Score)),
        _ => output,
    };

    /// <summary>The trace (and each of its spans) as it may leave.</summary>
    public Trace Apply(Trace trace) => IsNone ? trace : trace with
    {
        Input = Content(trace.Input),
        Output = Content(trace.Output),
        Metadata = Map(trace.Metadata),
        Params = Map(trace.Params),
        Error = trace.Error is { } error ? Error(error) : null,
        Logs = Logs(trace.Logs),
        Spans = trace.Spans.Map(Apply).Strict(),
    };

    /// <summary>The span as it may leave.</summary>
    public Span Apply(Span span) => IsNone ? span : span with
    {
        Input = Content(span.Input),
        Output = Content(span.Output),
        Metadata = Map(span.Metadata),
        Params = Map(span.Params),
        ModelParameters = span.ModelParameters is { } parameters ? Map(parameters) : null,
        Error = span.Error is { } error ? Error(error) : null,
        Logs = Logs(span.Logs),
    };

    /// <summary>The score as it may leave (its reason and metadata; its value is the evaluation itself).</summary>
    public Score Apply(Score score) => IsNone ? score : score with
    {
        Reason = score.Reason is { } reason ? Text(reason) : null,
        Metadata = Map(score.Metadata),
    };

    Payload? Content(Payload? value) =>
        mode == ContentMode.MetadataOnly || value is null ? null : Value(value);

    Seq<LogEntry> Logs(Seq<LogEntry> logs) =>
        mode == ContentMode.MetadataOnly || logs.IsEmpty ? default : logs.Map(l => l with { Data = Value(l.Data) }).Strict();

    ErrorInfo Error(ErrorInfo error) => error with
    {
        Message = Text(error.Message ?? string.Empty),
        Data = Map(error.Data),
    };

    Map<string, Payload> Map(Map<string, Payload> map) =>
        map.IsEmpty ? map : map.Map((key, value) => IsSensitive(key) ? Payload.Text(Marker) : Value(value));

    /// <summary>A recorded value: a string's text masked, or a JSON value rewritten with sensitive keys and texts masked.</summary>
    public Payload Value(Payload payload)
    {
        if (payload is null) return Payload.Null;
        if (payload.IsText) return Text(payload.Value) is var text && ReferenceEquals(text, payload.Value) ? payload : Payload.Text(text);
        try
        {
            var utf8 = Encoding.UTF8.GetBytes(payload.Value);
            return Unchanged(utf8) ? payload : Payload.Json(Json(utf8));
        }
        catch (Exception) { return Payload.Text(Marker); }   // not JSON after all, or a pattern ran out of time: mask it whole
    }

    /// <summary>A text with every pattern's matches masked, then the custom function applied; masked whole on failure.</summary>
    public string Text(string text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        try
        {
            foreach (var (pattern, replacement, luhn, mayMatch) in patterns)
            {
                if (mayMatch is not null && !mayMatch(text)) continue;   // the cheap test first: most texts hold no secret
                text = luhn
                    ? pattern.Replace(text, m => PassesLuhn(m.Value) ? replacement : m.Value)
                    : pattern.Replace(text, replacement);
            }
            return custom is null ? text : custom(text) ?? Marker;
        }
        catch (Exception) { return Marker; }
    }

    bool IsSensitive(ReadOnlySpan<char> key)
    {
        if (keys.Length == 0 || key.IsEmpty) return false;
        var buffer = key.Length <= 128 ? stackalloc char[key.Length] : new char[key.Length];
        var length = 0;
        foreach (var c in key)
            if (c is not ('_' or '-' or ' ' or '.')) buffer[length++] = char.ToLowerInvariant(c);
        ReadOnlySpan<char> k = buffer[..length];
        foreach (var name in keys)
            if (k.EndsWith(name, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>At least 13 ASCII digits: the fewest a card number has.</summary>
    static bool HasThirteenDigits(ReadOnlySpan<char> text)
    {
        var at = text.IndexOfAnyInRange('0', '9');
        if (at < 0 || text.Length - at < 13) return false;
        var digits = 0;
        foreach (var c in text[at..])
            if (char.IsAsciiDigit(c) && ++digits >= 13) return true;
        return false;
    }

    static string Normalise(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key)
            if (c is not ('_' or '-' or ' ' or '.')) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }

    static bool PassesLuhn(string candidate)
    {
        int sum = 0, digits = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            var c = candidate[i];
            if (c is < '0' or > '9') continue;
            var d = c - '0';
            if (digits++ % 2 == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>true</c> when <see cref="Json"/> would give the text back unchanged: no sensitive key, and no string or number
    /// any rule matches. Reads without writing or allocating, so the common case (nothing to mask) costs one pass.
    /// </summary>
    bool Unchanged(byte[] json)
    {
        if (custom is not null) return false;   // it may change any text: only running it tells
        scoped var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        Span<char> buffer = stackalloc char[256];
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    if (IsSensitive(Chars(ref reader, buffer))) return false;
                    break;
                case JsonTokenType.String:
                    if (MayChange(Chars(ref reader, buffer))) return false;
                    break;
                case JsonTokenType.Number when !builtInsOnly || reader.ValueSpan.Length >= 13:
                    if (MayChange(Encoding.UTF8.GetString(reader.ValueSpan))) return false;
                    break;
            }
        }
        return true;
    }

    /// <summary>The current property name or string, unescaped, in <paramref name="buffer"/> when it fits.</summary>
    static ReadOnlySpan<char> Chars(ref Utf8JsonReader reader, Span<char> buffer) =>
        !reader.HasValueSequence && reader.ValueSpan.Length <= buffer.Length   // unescaped, a text has at most as many chars as bytes
            ? buffer[..reader.CopyString(buffer)]
            : reader.GetString();

    /// <summary><c>true</c> when some rule matches the text (a card candidate may still fail the Luhn check).</summary>
    bool MayChange(ReadOnlySpan<char> text)
    {
        foreach (var (pattern, _, _, mayMatch) in patterns)
            if ((mayMatch is null || mayMatch(text)) && pattern.IsMatch(text)) return true;
        return false;
    }

    /// <summary>The JSON text rewritten: a property whose name is sensitive gets <see cref="Marker"/>, strings are masked, a number that is a card number becomes a masked string.</summary>
    string Json(byte[] json)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
        using (var w = new Utf8JsonWriter(buffer, Writer))
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            var skipNext = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        w.WritePropertyName(name);
                        skipNext = IsSensitive(name);
                        continue;
                    case JsonTokenType.StartObject when skipNext:
                    case JsonTokenType.StartArray when skipNext:
                        reader.Skip();
                        w.WriteStringValue(Marker);
                        break;
                    case JsonTokenType.StartObject: w.WriteStartObject(); break;
                    case JsonTokenType.EndObject: w.WriteEndObject(); break;
                    case JsonTokenType.StartArray: w.WriteStartArray(); break;
                    case JsonTokenType.EndArray: w.WriteEndArray(); break;
                    case JsonTokenType.String:
                        w.WriteStringValue(skipNext ? Marker : Text(reader.GetString()!));
                        break;
                    case JsonTokenType.Number when skipNext:
                        w.WriteStringValue(Marker);
                        break;
                    case JsonTokenType.Number when builtInsOnly && reader.ValueSpan.Length < 13:   // too short for a card number, the only built-in rule a number can match
                        w.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.Number:
                        var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                        if (Text(raw) is var masked && masked != raw) w.WriteStringValue(masked);
                        else w.WriteRawValue(raw, skipInputValidation: true);
                        break;
                    case JsonTokenType.True:
                    case JsonTokenType.False:
                    case JsonTokenType.Null:
                        if (skipNext) w.WriteStringValue(Marker);
                        else w.WriteRawValue(reader.TokenType == JsonTokenType.True ? "true" : reader.TokenType == JsonTokenType.False ? "false" : "null", skipInputValidation: true);
                        break;
                }
                skipNext = false;
            }
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
