using System.Text;

namespace PandaProbe.Model;

/// <summary>Tiny pure helpers for JSON text that the model needs without a serializer.</summary>
internal static class JsonText
{
    /// <summary>Quotes and escapes a string as a JSON string literal.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        AppendEscaped(sb, value);
        return sb.Append('"').ToString();
    }

    /// <summary>Appends <paramref name="value"/> escaped as the inside of a JSON string literal (no quotes).</summary>
    public static void AppendEscaped(StringBuilder sb, ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
    }

    /// <summary>What U+0000 is sent as: U+2400 SYMBOL FOR NULL (the platform's PostgreSQL <c>jsonb</c> refuses U+0000).</summary>
    public const char NulReplacement = '\u2400';

    /// <summary>What a lone surrogate (half of a UTF-16 pair) is sent as: U+FFFD REPLACEMENT CHARACTER.</summary>
    public const char LoneSurrogateReplacement = '\uFFFD';

    static readonly System.Buffers.SearchValues<char> NulOrSurrogate =
        System.Buffers.SearchValues.Create("\0" + new string(Enumerable.Range(0xD800, 0x800).Select(i => (char)i).ToArray()));

    /// <summary>
    /// The text as the platform can store it: U+0000 becomes <see cref="NulReplacement"/>, a lone surrogate becomes
    /// <see cref="LoneSurrogateReplacement"/>; whole surrogate pairs and everything else are kept. The same instance
    /// when nothing needs replacing.
    /// </summary>
    public static string Storable(string value)
    {
        if (value is null) return string.Empty;
        var first = value.AsSpan().IndexOfAny(NulOrSurrogate);
        if (first < 0) return value;
        var chars = value.ToCharArray();
        var changed = false;
        for (var i = first; i < chars.Length; i++)
        {
            var c = chars[i];
            if (c == '\0') { chars[i] = NulReplacement; changed = true; }
            else if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(c)) { chars[i] = LoneSurrogateReplacement; changed = true; }
        }
        return changed ? new string(chars) : value;
    }

    /// <summary>
    /// JSON text as the platform can store it: <see cref="Storable(string)"/> for its characters, and the escapes
    /// <c>\u0000</c> and lone-surrogate escapes (<c>\ud800</c> without its pair) rewritten the same way
    /// (<c>\u2400</c>, <c>\ufffd</c>). The same instance when nothing needs rewriting.
    /// </summary>
    public static string StorableJson(string json)
    {
        json = Storable(json);
        var at = json.IndexOf("\\u", StringComparison.Ordinal);
        if (at < 0) return json;
        while (at > 0 && json[at - 1] == '\\') at--;   // start at the run of backslashes, so escapes pair up
        StringBuilder? sb = null;
        var copied = 0;
        for (var i = at; i < json.Length; i++)
        {
            if (json[i] != '\\') continue;
            if (i + 1 >= json.Length) break;
            if (json[i + 1] != 'u' || !TryHex(json, i + 2, out var code))
            {
                i++;   // another escape (\\, \", \n ...): skip its second character
                continue;
            }
            string? replacement = null;
            var length = 6;
            if (code == 0) replacement = "\\u2400";
            else if (code is >= 0xD800 and <= 0xDBFF)
            {
                if (i + 11 < json.Length && json[i + 6] == '\\' && json[i + 7] == 'u' && TryHex(json, i + 8, out var low) && low is >= 0xDC00 and <= 0xDFFF)
                    length = 12;   // a whole pair
                else replacement = "\\ufffd";
            }
            else if (code is >= 0xDC00 and <= 0xDFFF) replacement = "\\ufffd";
            if (replacement is not null)
            {
                sb ??= new StringBuilder(json.Length);
                sb.Append(json, copied, i - copied).Append(replacement);
                copied = i + 6;
            }
            i += length - 1;
        }
        if (sb is null) return json;
        return sb.Append(json, copied, json.Length - copied).ToString();
    }

    static bool TryHex(string s, int start, out int value)
    {
        value = 0;
        if (start + 4 > s.Length) return false;
        return int.TryParse(s.AsSpan(start, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
