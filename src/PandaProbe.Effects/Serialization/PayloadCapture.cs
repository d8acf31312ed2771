using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PandaProbe.Serialization;

/// <summary>
/// Turns user values into immutable <see cref="Payload"/> snapshots at the moment they are recorded, so that later
/// mutation of the user's object cannot rewrite history. Strings, numbers and other immutable values take a fast path
/// with no serializer; everything else is serialized with System.Text.Json (enums as strings, NaN and infinities as
/// named literals, public fields included, depth at most 64, cycles ignored). Never throws: a value that cannot be
/// serialized is recorded as the <see cref="Payload.Unserializable"/> marker.
/// </summary>
/// <remarks>
/// Tracking references to ignore cycles costs a table per value, so a value is first written without it; only a value
/// too deep for that (which is what a cycle is) is written again with cycles ignored.
/// </remarks>
public static class PayloadCapture
{
    /// <summary>The deepest object graph serialized before the value is given up on.</summary>
    public const int MaxDepth = 64;

    static readonly JsonSerializerOptions Options = CreateOptions(cycles: false);
    static readonly JsonSerializerOptions CycleSafe = CreateOptions(cycles: true);

    static JsonSerializerOptions CreateOptions(bool cycles)
    {
        var options = new JsonSerializerOptions
        {
            ReferenceHandler = cycles ? ReferenceHandler.IgnoreCycles : null,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            MaxDepth = MaxDepth,
            WriteIndented = false,
            // Public fields too: value tuples (and LanguageExt maps, which enumerate as tuples) would otherwise be {}.
            IncludeFields = true,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>A snapshot of <paramref name="value"/>; the unserializable marker when it cannot be serialized.</summary>
    /// <param name="value">Any value, including <c>null</c>.</param>
    public static Payload Capture(object? value)
    {
        TryCapture(value, out var payload);
        return payload;
    }

    /// <summary>Takes a snapshot of <paramref name="value"/>.</summary>
    /// <param name="value">Any value, including <c>null</c>.</param>
    /// <param name="payload">The snapshot, or the unserializable marker.</param>
    /// <returns><c>false</c> when the value could not be serialized and the marker was used instead.</returns>
    public static bool TryCapture(object? value, out Payload payload)
    {
        try
        {
            if (Fast(value) is { } fast)
            {
                payload = fast;
                return true;
            }
            string json;
            try { json = JsonSerializer.Serialize(value, value!.GetType(), Options); }
            catch (JsonException) { json = JsonSerializer.Serialize(value, value!.GetType(), CycleSafe); }
            payload = Payload.Json(json);
            return true;
        }
        catch (Exception)
        {
            payload = Payload.Unserializable(TypeName(value));
            return false;
        }
    }

    /// <summary>
    /// Captures every value of a key/value sequence (metadata, parameters). <c>null</c> gives an empty map; entries
    /// with a <c>null</c> key are skipped; a later duplicate key replaces an earlier one.
    /// </summary>
    /// <param name="values">The entries, or <c>null</c>.</param>
    /// <param name="failures">How many values had to be recorded as the unserializable marker.</param>
    public static Map<string, Payload> CaptureMap(IEnumerable<KeyValuePair<string, object?>>? values, out int failures)
    {
        failures = 0;
        var map = Map<string, Payload>();
        if (values is null) return map;
        try
        {
            foreach (var kv in values)
            {
                if (kv.Key is not { } key) continue;
                if (!TryCapture(kv.Value, out var payload)) failures++;
                map = map.AddOrUpdate(key, payload);
            }
        }
        catch (Exception)
        {
            // An enumerator that throws: keep what was captured so far.
            failures++;
        }
        return map;
    }

    static Payload? Fast(object? value) => value switch
    {
        null => Payload.Null,
        string s => Payload.Text(s),
        Payload p => p,
        bool b => Payload.Json(b ? "true" : "false"),
        int i => Literal(i.ToString(CultureInfo.InvariantCulture)),
        long l => Literal(l.ToString(CultureInfo.InvariantCulture)),
        short s => Literal(s.ToString(CultureInfo.InvariantCulture)),
        byte b => Literal(b.ToString(CultureInfo.InvariantCulture)),
        sbyte b => Literal(b.ToString(CultureInfo.InvariantCulture)),
        ushort u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        uint u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        ulong u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        Int128 i => Literal(i.ToString(CultureInfo.InvariantCulture)),
        UInt128 u => Literal(u.ToString(CultureInfo.InvariantCulture)),
        decimal d => Literal(d.ToString(CultureInfo.InvariantCulture)),
        double d => Floating(d),
        float f => float.IsFinite(f) ? Literal(f.ToString("R", CultureInfo.InvariantCulture)) : Floating(f),
        Half h => Half.IsFinite(h) ? Literal(h.ToString(CultureInfo.InvariantCulture)) : Floating((double)h),
        char c => Payload.Text(c.ToString()),
        DateTimeOffset t => Payload.Text(t.ToString("O", CultureInfo.InvariantCulture)),
        DateTime t => Payload.Text(t.ToString("O", CultureInfo.InvariantCulture)),
        DateOnly d => Payload.Text(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly t => Payload.Text(t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        TimeSpan t => Payload.Text(t.ToString("c", CultureInfo.InvariantCulture)),
        Guid g => Payload.Text(g.ToString("D")),
        Enum e => Payload.Text(e.ToString()),
        Uri u => Payload.Text(u.OriginalString),
        JsonElement e => e.ValueKind == JsonValueKind.Undefined ? Payload.Null : Payload.Json(e.GetRawText()),
        JsonDocument d => Payload.Json(d.RootElement.GetRawText()),
        JsonNode n => Payload.Json(n.ToJsonString(Options)),
        _ => null,
    };

    static Payload Literal(string text) => Payload.Json(text);

    static Payload Floating(double d) =>
        double.IsNaN(d) ? Payload.Text("NaN")
        : double.IsPositiveInfinity(d) ? Payload.Text("Infinity")
        : double.IsNegativeInfinity(d) ? Payload.Text("-Infinity")
        : Payload.Json(d.ToString("R", CultureInfo.InvariantCulture));

    static string TypeName(object? value)
    {
        try { return value?.GetType().FullName ?? value?.GetType().Name ?? "null"; }
        catch (Exception) { return "unknown"; }
    }
}
