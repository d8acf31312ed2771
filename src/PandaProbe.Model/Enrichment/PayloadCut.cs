using System.Text;
using System.Text.Json;

namespace PandaProbe.Model.Enrichment;

/// <summary>
/// Cuts one recorded value to a number of characters, keeping what it is: a text is cut as a text; a JSON value stays
/// the JSON value it was, with the same keys, as far as it can. Pure and total: it never throws.
/// </summary>
/// <remarks>
/// <para>A JSON value (<see cref="Payload.IsText"/> false) over its share is rewritten, compact, with its longest string
/// leaves cut: one cap for every string, the largest that lets the whole fit (found by binary search), each cut string
/// keeping its start and ending with <see cref="Limits.TruncationMarker"/>. Keys, numbers, booleans and nulls are kept.</para>
/// <para>When even strings of nothing but the marker would not fit (a long array of numbers, a great many keys),
/// strings get an equal share of half the room and the value is written in document order until the room runs out:
/// an array then ends with the element <c>"…[truncated]"</c> in place of the elements left out, and an object with the
/// member <c>"pandaprobe_truncated": N</c>, N being the number of members left out (the element or member that did not
/// fit whole is written as far as it fits, the same way).</para>
/// <para>Only a value that does not parse as JSON (or is deeper than 256 levels), or that has no room even for its outer
/// brackets and a marker, is cut as text: the start of its JSON text, ending with the marker, as
/// <see cref="Payload.Text"/>.</para>
/// </remarks>
internal static class PayloadCut
{
    /// <summary>The member that ends an object whose last members were left out; its value is how many.</summary>
    public const string TruncatedMember = "pandaprobe_truncated";

    const string Marker = Limits.TruncationMarker;
    const int MaxDepth = 256;
    const int Block = 256;   // the stride of the escape-cost index of long strings

    /// <summary>
    /// <paramref name="payload"/> when it has at most <paramref name="max"/> characters, else the payload cut to at most
    /// that many (at least the marker's length), keeping its JSON shape when it has one.
    /// </summary>
    public static Payload Cut(Payload payload, int max)
    {
        max = Math.Max(max, Marker.Length);
        if (payload.Length <= max) return payload;
        if (!payload.IsText)
        {
            try
            {
                if (CutJson(payload, max) is { } json) return Payload.Json(json);
            }
            catch (Exception)
            {
                // Not JSON this reader takes (invalid, too deep, a lone surrogate escaped): cut as text below.
            }
        }
        return Payload.Text(Limits.Truncate(payload.Value, max));
    }

    /// <summary>The JSON cut to at most <paramref name="max"/> characters, or null when it cannot keep its shape.</summary>
    static string? CutJson(Payload payload, int max)
    {
        Node root;
        var strings = new List<Str>();
        var utf8 = payload.Utf8 ?? Encoding.UTF8.GetBytes(payload.Value);
        using (var document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth }))
            root = Build(document.RootElement, strings);

        var full = Measure(root, int.MaxValue);
        var cuttable = strings.Where(s => s.Value.Length > Marker.Length).OrderByDescending(s => s.Value.Length).ToArray();
        var sb = new StringBuilder(max);
        if (full <= max)
        {
            Write(root, int.MaxValue, sb);   // only the layout (white space, escapes) was longer
        }
        else if (cuttable.Length > 0 && SizeWithCap(full, cuttable, Marker.Length) <= max)
        {
            // The largest cap for every string that lets the whole fit.
            int lo = Marker.Length, hi = cuttable[0].Value.Length;
            while (lo < hi)
            {
                var mid = lo + (hi - lo + 1) / 2;
                if (SizeWithCap(full, cuttable, mid) <= max) lo = mid;
                else hi = mid - 1;
            }
            Write(root, lo, sb);
        }
        else
        {
            // Cutting strings cannot make it fit: strings share half the room, and the end of the value is left out.
            var cap = cuttable.Length == 0 ? int.MaxValue : (int)Math.Max(Marker.Length, Math.Min(cuttable[0].Value.Length, max / 2L / cuttable.Length));
            Measure(root, cap);
            if (!WriteWithin(root, max, cap, sb)) return null;
        }
        return sb.Length <= max ? sb.ToString() : null;
    }

    // ---- the tree: strings kept with their escaped length; numbers and literals as their text ----

    abstract class Node
    {
        /// <summary>The node's JSON length at the cap last measured.</summary>
        public long Size;
    }

    sealed class Raw(string text) : Node
    {
        public readonly string Text = text;
    }

    sealed class Str : Node
    {
        public readonly string Value;
        /// <summary>The escaped length of the whole string, without its quotes.</summary>
        public readonly long Escaped;
        /// <summary>For a string with escapes: the extra escape characters before each block of <see cref="Block"/>.</summary>
        readonly long[]? extraBefore;

        public Str(string value)
        {
            Value = value;
            var extra = EscapedLength(value) - value.Length;
            Escaped = value.Length + extra;
            if (extra == 0) return;
            var index = new long[value.Length / Block + 1];
            long before = 0;
            for (var i = 0; i < value.Length; i++)
            {
                if (i % Block == 0) index[i / Block] = before;
                before += Cost(value[i]) - 1;
            }
            if (value.Length % Block == 0) index[value.Length / Block] = before;
            extraBefore = index;
        }

        /// <summary>The escaped length of the first <paramref name="count"/> characters.</summary>
        public long EscapedPrefix(int count)
        {
            if (extraBefore is null) return count;
            var block = count / Block;
            long length = count + extraBefore[block];
            for (var i = block * Block; i < count; i++) length += Cost(Value[i]) - 1;
            return length;
        }
    }

    sealed class Arr(List<Node> items) : Node
    {
        public readonly List<Node> Items = items;
    }

    sealed class Obj(List<(string Key, long KeyLength, Node Value)> members) : Node
    {
        public readonly List<(string Key, long KeyLength, Node Value)> Members = members;
    }

    static Node Build(JsonElement element, List<Str> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var s = new Str(element.GetString() ?? string.Empty);
                strings.Add(s);
                return s;
            case JsonValueKind.Array:
                var items = new List<Node>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray()) items.Add(Build(item, strings));
                return new Arr(items);
            case JsonValueKind.Object:
                var members = new List<(string, long, Node)>();
                foreach (var member in element.EnumerateObject())
                    members.Add((member.Name, 2 + EscapedLength(member.Name), Build(member.Value, strings)));
                return new Obj(members);
            case JsonValueKind.True: return new Raw("true");
            case JsonValueKind.False: return new Raw("false");
            case JsonValueKind.Null: return new Raw("null");
            default: return new Raw(element.GetRawText());   // a number, as written
        }
    }

    // ---- sizes ----

    /// <summary>How many characters JSON escaping writes for one character (as <see cref="JsonText.Quote"/> does).</summary>
    static int Cost(char c) => c switch
    {
        '"' or '\\' or '\n' or '\r' or '\t' or '\b' or '\f' => 2,
        < ' ' => 6,
        _ => 1,
    };

    static long EscapedLength(string value)
    {
        long length = 0;
        foreach (var c in value) length += Cost(c);
        return length;
    }

    /// <summary>How many characters of a string cut to <paramref name="cap"/> are kept before the marker.</summary>
    static int Keep(string value, int cap)
    {
        var keep = cap - Marker.Length;
        if (keep > 0 && char.IsHighSurrogate(value[keep - 1])) keep--;
        return Math.Max(0, keep);
    }

    static long StringSize(Str s, int cap) =>
        s.Value.Length <= cap ? 2 + s.Escaped : 2 + s.EscapedPrefix(Keep(s.Value, cap)) + Marker.Length;

    /// <summary>The whole's length with every string cut to <paramref name="cap"/> (strings longest first).</summary>
    static long SizeWithCap(long full, Str[] longestFirst, int cap)
    {
        var size = full;
        foreach (var s in longestFirst)
        {
            if (s.Value.Length <= cap) break;
            size -= 2 + s.Escaped - StringSize(s, cap);
        }
        return size;
    }

    /// <summary>Sets and returns the size of every node with strings cut to <paramref name="cap"/>.</summary>
    static long Measure(Node node, int cap)
    {
        switch (node)
        {
            case Str s:
                return s.Size = StringSize(s, cap);
            case Raw r:
                return r.Size = r.Text.Length;
            case Arr a:
                long arr = 2 + Math.Max(0, a.Items.Count - 1);
                foreach (var item in a.Items) arr += Measure(item, cap);
                return a.Size = arr;
            case Obj o:
                long obj = 2 + Math.Max(0, o.Members.Count - 1);
                foreach (var (_, keyLength, value) in o.Members) obj += keyLength + 1 + Measure(value, cap);
                return o.Size = obj;
            default:
                return 0;
        }
    }

    // ---- writing ----

    static void AppendQuoted(StringBuilder sb, ReadOnlySpan<char> value, bool marker)
    {
        sb.Append('"');
        JsonText.AppendEscaped(sb, value);
        if (marker) sb.Append(Marker);
        sb.Append('"');
    }

    /// <summary>Writes the node whole, compact, with strings cut to <paramref name="cap"/>.</summary>
    static void Write(Node node, int cap, StringBuilder sb)
    {
        switch (node)
        {
            case Str s:
                if (s.Value.Length <= cap) AppendQuoted(sb, s.Value, marker: false);
                else AppendQuoted(sb, s.Value.AsSpan(0, Keep(s.Value, cap)), marker: true);
                break;
            case Raw r:
                sb.Append(r.Text);
                break;
            case Arr a:
                sb.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(a.Items[i], cap, sb);
                }
                sb.Append(']');
                break;
            case Obj o:
                sb.Append('{');
                for (var i = 0; i < o.Members.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    AppendQuoted(sb, o.Members[i].Key, marker: false);
                    sb.Append(':');
                    Write(o.Members[i].Value, cap, sb);
                }
                sb.Append('}');
                break;
        }
    }

    /// <summary>
    /// Writes the node in at most <paramref name="room"/> characters (sizes measured at <paramref name="cap"/>): whole
    /// when it fits, else as much of it as fits; false, with nothing written, when not even its least form fits.
    /// </summary>
    static bool WriteWithin(Node node, long room, int cap, StringBuilder sb)
    {
        if (node.Size <= room)
        {
            Write(node, cap, sb);
            return true;
        }
        return node switch
        {
            Str s => StringWithin(s, room, sb),
            Arr a => ArrayWithin(a, room, cap, sb),
            Obj o => ObjectWithin(o, room, cap, sb),
            _ => false,
        };
    }

    static bool StringWithin(Str s, long room, StringBuilder sb)
    {
        var available = room - 2 - Marker.Length;
        if (available < 0) return false;
        var keep = 0;
        long used = 0;
        while (keep < s.Value.Length)
        {
            var cost = Cost(s.Value[keep]);
            if (used + cost > available) break;
            used += cost;
            keep++;
        }
        if (keep > 0 && char.IsHighSurrogate(s.Value[keep - 1])) keep--;
        AppendQuoted(sb, s.Value.AsSpan(0, keep), marker: true);
        return true;
    }

    static bool ArrayWithin(Arr a, long room, int cap, StringBuilder sb)
    {
        var marker = Marker.Length + 2;    // the element "…[truncated]"
        if (room < 2 + marker) return false;
        var reserve = 1 + marker + 1;      // a comma, the marker, the ']'
        sb.Append('[');
        long used = 1;
        var written = 0;
        var i = 0;
        for (; i < a.Items.Count; i++)
        {
            var item = a.Items[i];
            var comma = written > 0 ? 1 : 0;
            if (used + comma + item.Size + reserve <= room)
            {
                if (comma > 0) sb.Append(',');
                Write(item, cap, sb);
                used += comma + item.Size;
                written++;
                continue;
            }
            // The first element that does not fit whole: as much of it as fits; the rest is left out.
            var mark = sb.Length;
            if (comma > 0) sb.Append(',');
            if (WriteWithin(item, room - used - comma - reserve, cap, sb))
            {
                used += sb.Length - mark;
                written++;
                i++;
            }
            else sb.Length = mark;
            break;
        }
        if (i < a.Items.Count)
        {
            if (written > 0) sb.Append(',');
            AppendQuoted(sb, default, marker: true);
        }
        sb.Append(']');
        return true;
    }

    static bool ObjectWithin(Obj o, long room, int cap, StringBuilder sb)
    {
        var marker = 2 + TruncatedMember.Length + 1 + Digits(o.Members.Count);   // "pandaprobe_truncated":N
        if (room < 2 + marker) return false;
        var reserve = 1 + marker + 1;   // a comma, the marker member, the '}'
        sb.Append('{');
        long used = 1;
        var written = 0;
        var i = 0;
        for (; i < o.Members.Count; i++)
        {
            var (key, keyLength, value) = o.Members[i];
            var comma = written > 0 ? 1 : 0;
            if (used + comma + keyLength + 1 + value.Size + reserve <= room)
            {
                if (comma > 0) sb.Append(',');
                AppendQuoted(sb, key, marker: false);
                sb.Append(':');
                Write(value, cap, sb);
                used += comma + keyLength + 1 + value.Size;
                written++;
                continue;
            }
            // The first member that does not fit whole: its key and as much of its value as fits; the rest left out.
            var mark = sb.Length;
            var left = room - used - comma - keyLength - 1 - reserve;
            if (left > 0)
            {
                if (comma > 0) sb.Append(',');
                AppendQuoted(sb, key, marker: false);
                sb.Append(':');
                if (WriteWithin(value, left, cap, sb))
                {
                    used += sb.Length - mark;
                    written++;
                    i++;
                }
                else sb.Length = mark;
            }
            break;
        }
        if (i < o.Members.Count)
        {
            if (written > 0) sb.Append(',');
            AppendQuoted(sb, TruncatedMember, marker: false);
            sb.Append(':').Append((o.Members.Count - i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        sb.Append('}');
        return true;
    }

    static int Digits(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
}
