using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PandaProbe.Redaction;

/// <summary>
/// The redaction step of the export side: what of a trace, span or score may leave the process, by
/// <see cref="ContentMode"/>. In every mode, unless turned off, the secrets pass masks in every text (strings inside JSON
/// included): API-key shapes and bearer tokens (<c>[REDACTED:key]</c>), connection-string passwords
/// (<c>Password=[REDACTED];</c>, also <c>Pwd=</c> and <c>Passwd=</c>, any case, quoted values keeping their quotes) and
/// URL passwords (<c>scheme://user:[REDACTED]@host</c>); under <see cref="ContentMode.Full"/> it is the only rule.
/// Under <see cref="ContentMode.Redacted"/> a value under a sensitive key name (in metadata, parameters, error data, or
/// any JSON object inside an input or output) is also replaced by <see cref="Marker"/>, and every text has its e-mail
/// addresses and card numbers masked (<c>[REDACTED:email]</c>, <c>[REDACTED:card]</c>), then the extra patterns and the
/// custom function are applied. <see cref="ContentMode.MetadataOnly"/> also leaves out every input, output and log line.
/// Names, ids, models, token usage, costs, times and statuses are never changed; a trace, span, score or value with
/// nothing to mask is returned as the same instance. Pure and total: a value whose patterns run out of time (a
/// pathological text) is masked whole, and a custom function that throws masks the value whole, so a failure never lets
/// a value out unredacted.
/// </summary>
internal sealed partial class Redactor
{
    /// <summary>What replaces a value under a sensitive key, a secret inside a text, and a value that could not be checked.</summary>
    public const string Marker = "[REDACTED]";

    /// <summary>The key names redacted by default (compared without case, spaces, dashes and underscores; a key also matches when it ends with one).</summary>
    public static readonly IReadOnlyList<string> DefaultKeyNames =
        ["password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "authorization", "cookie", "ssn", "creditcard", "cardnumber", "cvv"];

    /// <summary>Lets everything through.</summary>
    public static Redactor Off { get; } = new(ContentMode.Full, [], false, false, false, [], null, secrets: false);

    const int PatternTimeout = 200;   // milliseconds

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        RegexOptions.CultureInvariant, PatternTimeout)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])", RegexOptions.CultureInvariant, PatternTimeout)]
    private static partial Regex Card();

    [GeneratedRegex(
        @"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|sk_(?:live|test|pp)_[A-Za-z0-9]{8,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
        RegexOptions.CultureInvariant, PatternTimeout)]
    private static partial Regex ApiKey();

    /// <summary>
    /// A bearer token (16 characters or more after <c>Bearer</c>); the word and the space are kept (group <c>scheme</c>).
    /// Apart from <see cref="ApiKey"/> so that each starts with a literal the engine can search for.
    /// </summary>
    [GeneratedRegex(@"(?<scheme>\b(?:Bearer|bearer|BEARER)\s+)(?!\[REDACTED)[A-Za-z0-9._~+/=-]{16,}", RegexOptions.CultureInvariant, PatternTimeout)]
    private static partial Regex BearerToken();

    /// <summary>
    /// A connection-string password: <c>Password=</c>, <c>Passwd=</c> or <c>Pwd=</c> (any case, as a word or the end of a
    /// name such as <c>DB_PASSWORD=</c>; not <c>==</c>, a comparison in code), then a quoted value (a doubled quote inside
    /// it is part of it) or the text up to <c>;</c> or white space. The name, the <c>=</c> and the quotes are kept (groups
    /// <c>key</c>, <c>quote</c>).
    /// </summary>
    [GeneratedRegex(
        @"(?<key>(?<![A-Za-z0-9])(?:password|passwd|pwd)[ \t]*=(?!=)[ \t]*)(?![""']?\[REDACTED\])(?:(?<quote>[""'])(?:(?!\k<quote>)[^\r\n]|\k<quote>\k<quote>)*\k<quote>|[^;\s]+)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, PatternTimeout)]
    private static partial Regex ConnectionPassword();

    /// <summary>
    /// The credentials of a URL, <c>scheme://user:password@host</c> (the user may be empty): the password runs to the
    /// last <c>@</c> before the path, query, fragment, a space or a quote, so a password holding an unescaped <c>@</c> is
    /// masked whole. The user is kept (group <c>user</c>).
    /// </summary>
    [GeneratedRegex(@"://(?<user>[^\s:/?#@""'<>\\]*):(?!\[REDACTED\]@)[^\s/?#""'<>\\]+@", RegexOptions.CultureInvariant, PatternTimeout)]
    private static partial Regex UrlPassword();

    /// <summary>What every API-key shape starts with: a text holding none of these cannot match <see cref="ApiKey"/>.</summary>
    static readonly SearchValues<string> ApiKeyStarts = SearchValues.Create(
        ["sk-", "sk_", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza", "eyJ"],
        StringComparison.Ordinal);

    /// <summary>The words <see cref="BearerToken"/> starts with.</summary>
    static readonly SearchValues<string> BearerWords = SearchValues.Create(["Bearer", "bearer", "BEARER"], StringComparison.Ordinal);

    /// <summary>What a connection-string password's name holds: a text holding neither cannot match <see cref="ConnectionPassword"/>.</summary>
    static readonly SearchValues<string> PasswordNames = SearchValues.Create(["passw", "pwd"], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The secrets pass's triggers, without case: a text holding none of them matches none of the secret patterns, so
    /// under the secrets pass alone it costs two vectorised scans (key shapes as written, words without case) and no regular expression.
    /// </summary>
    static readonly SecretScan SecretTriggers = new(false);

    /// <summary>
    /// <see cref="SecretTriggers"/> in a JSON text, with the only escapes that could hide one (<c>\u</c>, <c>\/</c>): a
    /// JSON text holding none of them has no string a secret pattern matches.
    /// </summary>
    static readonly SecretScan JsonSecretTriggers = new(true);

    /// <summary>
    /// The triggers as two scans: the key shapes as written (their patterns are case-sensitive, so <c>task_id</c> or
    /// <c>Asia</c> do not trigger them), the words without case.
    /// </summary>
    sealed class SecretScan(bool json)
    {
        readonly SearchValues<string> keys = SearchValues.Create(
            json ? [.. KeyTriggers, "\\u", "\\/"] : KeyTriggers, StringComparison.Ordinal);
        readonly SearchValues<string> words = SearchValues.Create(["bearer", "passw", "pwd"], StringComparison.OrdinalIgnoreCase);

        static string[] KeyTriggers => ["sk-", "sk_", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza", "eyJ"];

        /// <summary>True when <paramref name="text"/> holds a trigger.</summary>
        public bool In(ReadOnlySpan<char> text) => text.ContainsAny(keys) || text.ContainsAny(words) || UrlWithUserInfo(text);

        /// <summary>
        /// True when a URL in <paramref name="text"/> has user information (an <c>@</c> between its <c>://</c> and the end of
        /// its authority): only such a URL can carry a password, so an ordinary link (a JSON schema's <c>$schema</c>, a
        /// citation) does not send the text to the patterns.
        /// </summary>
        static bool UrlWithUserInfo(ReadOnlySpan<char> text)
        {
            for (var at = text.IndexOf("://", StringComparison.Ordinal); at >= 0; )
            {
                var rest = text[(at + 3)..];
                var end = rest.IndexOfAny(AuthorityEnds);
                if ((end < 0 ? rest : rest[..end]).Contains('@')) return true;
                var next = rest.IndexOf("://", StringComparison.Ordinal);
                at = next < 0 ? -1 : at + 3 + next;
            }
            return false;
        }

        static readonly SearchValues<char> AuthorityEnds = SearchValues.Create("/?#\"' \t\r\n<>");
    }

    readonly ContentMode mode;
    readonly string[] keys;
    readonly (Regex Pattern, string Replacement, bool Luhn, Func<ReadOnlySpan<char>, bool>? MayMatch)[] patterns;
    readonly Func<string, string>? custom;
    readonly bool builtInsOnly;   // no extra pattern and no custom function: the built-in rules' cheap tests decide
    readonly bool secretsOnly;    // the secret patterns are the only rules for texts: SecretTriggers decides at once

    /// <param name="mode">
    /// What may leave. Under <see cref="ContentMode.Full"/> only the secrets pass applies (when <paramref name="secrets"/>):
    /// key names, e-mails, cards, <paramref name="extra"/> and <paramref name="custom"/> are the other modes' rules.
    /// </param>
    /// <param name="keyNames">Key names whose values are replaced.</param>
    /// <param name="emails">Mask e-mail addresses.</param>
    /// <param name="cards">Mask card numbers (13 to 19 digits, spaces or dashes between, passing the Luhn check).</param>
    /// <param name="apiKeys">Mask API-key shapes (OpenAI, Anthropic, AWS, GitHub, Slack, Google, JWTs, bearer tokens) outside <see cref="ContentMode.Full"/>; <paramref name="secrets"/> masks them too, in every mode.</param>
    /// <param name="extra">More patterns, each match replaced by <see cref="Marker"/>.</param>
    /// <param name="custom">Applied last to every text (after the patterns).</param>
    /// <param name="secrets">The secrets pass, in every mode: API-key shapes, bearer tokens, connection-string and URL passwords.</param>
    public Redactor(ContentMode mode, IEnumerable<string> keyNames, bool emails, bool cards, bool apiKeys, IEnumerable<Regex> extra,
        Func<string, string>? custom, bool secrets = true)
    {
        this.mode = mode;
        var full = mode == ContentMode.Full;
        keys = full ? [] : keyNames.Where(k => !string.IsNullOrWhiteSpace(k)).Select(Normalise).Distinct().ToArray();
        var list = new List<(Regex, string, bool, Func<ReadOnlySpan<char>, bool>?)>();
        // The secrets first: a URL password before an e-mail pattern could take "password@host" for an address.
        if (secrets)
        {
            list.Add((UrlPassword(), "://${user}:" + Marker + "@", false, HasUrlCredentials));
            list.Add((ConnectionPassword(), "${key}${quote}" + Marker + "${quote}", false, text => text.ContainsAny(PasswordNames)));
        }
        if (secrets || (apiKeys && !full))
        {
            list.Add((ApiKey(), "[REDACTED:key]", false, text => text.ContainsAny(ApiKeyStarts)));
            list.Add((BearerToken(), "${scheme}[REDACTED:key]", false, text => text.ContainsAny(BearerWords)));
        }
        var secretRules = list.Count;
        if (!full)
        {
            if (emails) list.Add((Email(), "[REDACTED:email]", false, text => text.Contains('@')));
            if (cards) list.Add((Card(), "[REDACTED:card]", true, HasThirteenDigits));
            foreach (var r in extra) if (r is not null) list.Add((r, Marker, false, null));
            this.custom = custom;
        }
        patterns = [.. list];
        builtInsOnly = this.custom is null && patterns.All(p => p.MayMatch is not null);
        secretsOnly = secrets && this.custom is null && patterns.Length == secretRules;
    }

    /// <summary><c>true</c> when this redactor changes nothing.</summary>
    public bool IsNone => mode == ContentMode.Full && patterns.Length == 0;

    /// <summary>The mode.</summary>
    public ContentMode Mode => mode;

    /// <summary>A reducer output with its trace, span or score redacted (the same instance when nothing changed); other outputs unchanged.</summary>
    public Output Apply(Output output) => IsNone ? output : output switch
    {
        Output.TraceCompleted c => Apply(c.Trace) is var t && ReferenceEquals(t, c.Trace) ? c : new Output.TraceCompleted(t),
        Output.SpanCompleted c => Apply(c.Span) is var s && ReferenceEquals(s, c.Span) ? c : c with { Span = s },
        Output.TraceStarted c => Apply(c.Trace) is var t && ReferenceEquals(t, c.Trace) ? c : new Output.TraceStarted(t),
        Output.SpanStarted c => Apply(c.Span) is var s && ReferenceEquals(s, c.Span) ? c : new Output.SpanStarted(s) { LateChild = c.LateChild },
        Output.ScoreSubmitted c => Apply(c.Score) is var s && ReferenceEquals(s, c.Score) ? c : new Output.ScoreSubmitted(s),
        _ => output,
    };

    /// <summary>The trace (and each of its spans) as it may leave; the same instance when nothing changed.</summary>
    public TraceRecord Apply(TraceRecord trace)
    {
        if (IsNone) return trace;
        var changed = false;
        var input = Content(trace.Input, ref changed);
        var output = Content(trace.Output, ref changed);
        var metadata = Map(trace.Metadata, ref changed);
        var parameters = Map(trace.Params, ref changed);
        var error = trace.Error is { } e ? Error(e, ref changed) : null;
        var logs = Logs(trace.Logs, ref changed);
        var spans = Spans(trace.Spans, ref changed);
        return !changed ? trace : trace with
        {
            Input = input, Output = output, Metadata = metadata, Params = parameters, Error = error, Logs = logs, Spans = spans,
        };
    }

    /// <summary>The span as it may leave; the same instance when nothing changed.</summary>
    public Span Apply(Span span)
    {
        if (IsNone) return span;
        var changed = false;
        var input = Content(span.Input, ref changed);
        var output = Content(span.Output, ref changed);
        var metadata = Map(span.Metadata, ref changed);
        var parameters = Map(span.Params, ref changed);
        var modelParameters = span.ModelParameters is { } m ? Map(m, ref changed) : (Map<string, Payload>?)null;
        var error = span.Error is { } e ? Error(e, ref changed) : null;
        var logs = Logs(span.Logs, ref changed);
        return !changed ? span : span with
        {
            Input = input, Output = output, Metadata = metadata, Params = parameters, ModelParameters = modelParameters,
            Error = error, Logs = logs,
        };
    }

    /// <summary>The score as it may leave (its reason and metadata; its value is the evaluation itself); the same instance when nothing changed.</summary>
    public Score Apply(Score score)
    {
        if (IsNone) return score;
        var reason = score.Reason is { } r ? Text(r) : null;
        var changed = !ReferenceEquals(reason, score.Reason);
        var metadata = Map(score.Metadata, ref changed);
        return !changed ? score : score with { Reason = reason, Metadata = metadata };
    }

    Payload? Content(Payload? value, ref bool changed)
    {
        if (value is null) return null;
        var result = mode == ContentMode.MetadataOnly ? null : Value(value);
        changed |= !ReferenceEquals(result, value);
        return result;
    }

    Seq<LogEntry> Logs(Seq<LogEntry> logs, ref bool changed)
    {
        if (logs.IsEmpty) return logs;
        if (mode == ContentMode.MetadataOnly)
        {
            changed = true;
            return default;
        }
        LogEntry[]? copy = null;
        for (var i = 0; i < logs.Count; i++)   // by index: a Seq's enumerator is an allocation per call
        {
            var entry = logs[i];
            var data = Value(entry.Data);
            if (!ReferenceEquals(data, entry.Data)) (copy ??= [.. logs])[i] = entry with { Data = data };
        }
        if (copy is null) return logs;
        changed = true;
        return toSeq(copy).Strict();
    }

    Seq<Span> Spans(Seq<Span> spans, ref bool changed)
    {
        Span[]? copy = null;
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var redacted = Apply(span);
            if (!ReferenceEquals(redacted, span)) (copy ??= [.. spans])[i] = redacted;
        }
        if (copy is null) return spans;
        changed = true;
        return toSeq(copy).Strict();
    }

    ErrorInfo Error(ErrorInfo error, ref bool changed)
    {
        var message = Text(error.Message ?? string.Empty);
        var inner = !ReferenceEquals(message, error.Message);
        var data = Map(error.Data, ref inner);
        if (!inner) return error;
        changed = true;
        return error with { Message = message, Data = data };
    }

    Map<string, Payload> Map(Map<string, Payload> map, ref bool changed)
    {
        if (map.IsEmpty) return map;
        var result = map;
        foreach (var (key, value) in map)
        {
            var redacted = IsSensitive(key) ? Payload.Text(Marker) : Value(value);
            if (ReferenceEquals(redacted, value)) continue;
            result = result.SetItem(key, redacted);
            changed = true;
        }
        return result;
    }

    /// <summary>
    /// A recorded value: a string's text masked, or a JSON value rewritten with sensitive keys and texts masked; the
    /// same instance when nothing is masked.
    /// </summary>
    public Payload Value(Payload payload)
    {
        if (payload is null) return Payload.Null;
        if (payload.IsText) return Text(payload.Value) is var text && ReferenceEquals(text, payload.Value) ? payload : Payload.Text(text);
        // The secrets pass alone with no key names (Full mode): one scan of the JSON text decides for most values.
        if (secretsOnly && keys.Length == 0 && !MayHoldSecret(payload)) return payload;
        try
        {
            var utf8 = payload.Utf8 ?? Encoding.UTF8.GetBytes(payload.Value);   // the serializer's UTF-8 when it is kept: no decoding
            return Unchanged(utf8) ? payload : Payload.Json(Json(utf8));
        }
        catch (Exception) { return Payload.Text(Marker); }   // not JSON after all, or a pattern ran out of time: mask it whole
    }

    /// <summary>
    /// A text with every pattern's matches masked, then the custom function applied; masked whole on failure. The same
    /// instance when no pattern matches (and there is no custom function).
    /// </summary>
    public string Text(string text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        if (secretsOnly && !SecretTriggers.In(text)) return text;   // two vectorised scans, no regular expression
        try
        {
            foreach (var (pattern, replacement, luhn, mayMatch) in patterns)
            {
                if (mayMatch is not null && !mayMatch(text)) continue;   // the cheap test first: most texts hold no secret
                text = luhn ? ReplaceCards(pattern, text, replacement) : pattern.Replace(text, replacement);
            }
            return custom is null ? text : custom(text) ?? Marker;
        }
        catch (Exception) { return Marker; }
    }

    /// <summary>
    /// <c>false</c> when the JSON text holds none of <see cref="JsonSecretTriggers"/>. A payload kept as UTF-8 is
    /// transcoded into a borrowed buffer for the scan, so its text is not decoded into a string.
    /// </summary>
    static bool MayHoldSecret(Payload payload)
    {
        if (payload.Utf8 is not { } utf8) return JsonSecretTriggers.In(payload.Value);
        char[]? rented = null;
        var buffer = utf8.Length <= 512 ? stackalloc char[utf8.Length] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try { return JsonSecretTriggers.In(buffer[..Encoding.UTF8.GetChars(utf8, buffer)]); }   // UTF-8 never has fewer bytes than chars
        finally { if (rented is not null) ArrayPool<char>.Shared.Return(rented); }
    }

    /// <summary>
    /// The card candidates that pass the Luhn check replaced. A method of its own: a lambda capturing the loop's
    /// replacement would allocate its closure on every pass of the loop, used or not.
    /// </summary>
    static string ReplaceCards(Regex pattern, string text, string replacement) =>
        pattern.Replace(text, m => PassesLuhn(m.Value) ? replacement : m.Value);

    /// <summary>A scheme separator and an <c>@</c>: what a URL with credentials holds.</summary>
    static bool HasUrlCredentials(ReadOnlySpan<char> text) =>
        text.IndexOf("://", StringComparison.Ordinal) is var at && at >= 0 && text[at..].Contains('@');

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
