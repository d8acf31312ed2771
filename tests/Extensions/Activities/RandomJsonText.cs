using System.Globalization;
using System.Text;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>A JSON object of the generators, its members in the order written (a key may repeat).</summary>
internal sealed class Obj : List<(string Key, object? Value)>;

/// <summary>A JSON text already written, put in as it is.</summary>
internal sealed record Raw(string Json);

/// <summary>
/// Writes a generated value (<see cref="Obj"/>, lists, strings, <see cref="long"/>, booleans, <c>null</c>,
/// <see cref="Raw"/>) as JSON text with a random escaping and layout, for the characterization tests' generators: a
/// character or a whole surrogate pair is escaped with <see cref="EscapeChance"/> (control characters always), lines
/// break and indent by <see cref="Indent"/> per level (compact when <c>null</c>), <see cref="Varied"/> mixes CRLF and
/// <c>" : "</c> in, and <see cref="OddEscapes"/> now and then ends a string with a lone surrogate escape.
/// </summary>
internal sealed class RandomJsonText(Random random)
{
    /// <summary>The chance that a character is escaped though it need not be.</summary>
    public double EscapeChance { get; init; }

    /// <summary>The indentation of one level; <c>null</c> writes compactly.</summary>
    public string? Indent { get; init; }

    /// <summary>Line breaks are CRLF now and then, and a member's colon is sometimes spaced on both sides.</summary>
    public bool Varied { get; init; }

    /// <summary>Now and then a string ends with a lone surrogate escape (<c>\ud800</c>).</summary>
    public bool OddEscapes { get; init; }

    /// <summary>The JSON text of <paramref name="value"/>.</summary>
    public string Emit(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0);
        return sb.ToString();
    }

    void Break(StringBuilder sb, int depth)
    {
        if (Indent is null) return;
        sb.Append(Varied && random.Next(4) == 0 ? "\r\n" : "\n");
        for (var i = 0; i < depth; i++) sb.Append(Indent);
    }

    void Write(StringBuilder sb, object? value, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case true: sb.Append("true"); break;
            case false: sb.Append("false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case Raw raw: sb.Append(raw.Json); break;
            case string s: Quote(sb, s); break;
            case Obj obj:
                sb.Append('{');
                for (var i = 0; i < obj.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Break(sb, depth + 1);
                    Quote(sb, obj[i].Key);
                    sb.Append(Indent is null ? ":" : Varied && random.Next(3) == 0 ? " : " : ": ");
                    Write(sb, obj[i].Value, depth + 1);
                }
                if (obj.Count > 0) Break(sb, depth);
                sb.Append('}');
                break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Break(sb, depth + 1);
                    Write(sb, list[i], depth + 1);
                }
                if (list.Count > 0) Break(sb, depth);
                sb.Append(']');
                break;
            default: throw new InvalidOperationException(value.GetType().Name);
        }
    }

    void Quote(StringBuilder sb, string s)
    {
        sb.Append('"');
        for (var at = 0; at < s.Length; at++)
        {
            var c = s[at];
            if (char.IsHighSurrogate(c) && at + 1 < s.Length && char.IsLowSurrogate(s[at + 1]))
            {
                // A pair is escaped whole or kept whole (half of it escaped would leave a lone surrogate in the text).
                if (random.NextDouble() < EscapeChance)
                    sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture))
                        .Append("\\u").Append(((int)s[at + 1]).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c).Append(s[at + 1]);
                at++;
                continue;
            }
            switch (c)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\n' when random.Next(2) == 0: sb.Append("\\n"); continue;
                case '\t' when random.Next(2) == 0: sb.Append("\\t"); continue;
                case '/' when random.NextDouble() < EscapeChance: sb.Append("\\/"); continue;
            }
            if (c < 0x20 || random.NextDouble() < EscapeChance)
                sb.Append("\\u").Append(((int)c).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        if (OddEscapes && random.Next(4) == 0) sb.Append("\\ud800");
        sb.Append('"');
    }
}
