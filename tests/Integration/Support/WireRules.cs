using System.Globalization;
using System.Text.Json;

namespace PandaProbe.Integration.Support;

/// <summary>
/// The platform's validation rules (CONTRACT §2.4) written out by hand, independent of <c>openapi.json</c>: the
/// null rules (metadata, tags, spans, kind, status never null), lengths, the 500-span limit, formats, enum
/// spellings and the score value rules.
/// </summary>
public static class WireRules
{
    private static readonly string[] TraceStatuses = ["PENDING", "RUNNING", "COMPLETED", "ERROR"];
    private static readonly string[] SpanKinds = ["AGENT", "TOOL", "LLM", "RETRIEVER", "CHAIN", "EMBEDDING", "OTHER"];
    private static readonly string[] SpanStatuses = ["UNSET", "OK", "ERROR"];
    private static readonly string[] DataTypes = ["NUMERIC", "BOOLEAN", "CATEGORICAL"];

    /// <summary>Problems of a <c>POST /traces</c> body.</summary>
    public static List<string> Trace(JsonElement t)
    {
        var e = new List<string>();
        if (t.ValueKind != JsonValueKind.Object) { e.Add("trace body is not an object"); return e; }
        OptionalUuid(t, "trace_id", e, nullable: false);
        Text(t, "name", e, required: true, min: 1, max: 512, nullable: false);
        Enum(t, "status", TraceStatuses, e);
        Date(t, "started_at", e, required: true);
        Date(t, "ended_at", e, required: false);
        foreach (var f in new[] { "session_id", "user_id", "environment", "release" })
            Text(t, f, e, required: false, min: 0, max: 255, nullable: true);
        ObjectField(t, "metadata", e, nullable: false);
        if (t.TryGetProperty("tags", out var tags))
        {
            if (tags.ValueKind != JsonValueKind.Array) e.Add("tags: must be an array (null rejected)");
            else if (tags.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String)) e.Add("tags: items must be strings");
        }
        if (t.TryGetProperty("spans", out var spans))
        {
            if (spans.ValueKind != JsonValueKind.Array) e.Add("spans: must be an array (null rejected)");
            else
            {
                if (spans.GetArrayLength() > 500) e.Add($"spans: {spans.GetArrayLength()} > 500");
                var i = 0;
                foreach (var s in spans.EnumerateArray())
                {
                    var index = i++;
                    e.AddRange(Span(s).Select(x => $"spans[{index}].{x}"));
                }
            }
        }
        return e;
    }

    /// <summary>Problems of a <c>POST /traces/{id}/spans</c> body (a JSON array of 1–500 spans).</summary>
    public static List<string> SpanArray(JsonElement a)
    {
        var e = new List<string>();
        if (a.ValueKind != JsonValueKind.Array) { e.Add("add-spans body is not an array"); return e; }
        if (a.GetArrayLength() is < 1 or > 500) e.Add($"add-spans: {a.GetArrayLength()} spans, must be 1–500");
        var i = 0;
        foreach (var s in a.EnumerateArray()) e.AddRange(Span(s).Select(x => $"[{i++}].{x}"));
        return e;
    }

    /// <summary>Problems of one span body.</summary>
    public static List<string> Span(JsonElement s)
    {
        var e = new List<string>();
        if (s.ValueKind != JsonValueKind.Object) { e.Add("span is not an object"); return e; }
        OptionalUuid(s, "span_id", e, nullable: false);
        OptionalUuid(s, "parent_span_id", e, nullable: true);
        Text(s, "name", e, required: true, min: 1, max: 512, nullable: false);
        Enum(s, "kind", SpanKinds, e);
        Enum(s, "status", SpanStatuses, e);
        Text(s, "model", e, required: false, min: 0, max: 255, nullable: true);
        ObjectField(s, "metadata", e, nullable: false);
        ObjectField(s, "token_usage", e, nullable: true);
        ObjectField(s, "model_parameters", e, nullable: true);
        if (s.TryGetProperty("token_usage", out var tokens) && tokens.ValueKind == JsonValueKind.Object)
            foreach (var p in tokens.EnumerateObject())
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out _)) e.Add($"token_usage.{p.Name}: not an integer");
        if (s.TryGetProperty("cost", out var cost) && cost.ValueKind != JsonValueKind.Null)
        {
            if (cost.ValueKind != JsonValueKind.Object) e.Add("cost: must be an object");
            else foreach (var p in cost.EnumerateObject())
                if (p.Value.ValueKind != JsonValueKind.Number) e.Add($"cost.{p.Name}: not a number");
        }
        Date(s, "started_at", e, required: true);
        Date(s, "ended_at", e, required: false);
        Date(s, "completion_start_time", e, required: false);
        Text(s, "error", e, required: false, min: 0, max: int.MaxValue, nullable: true);
        return e;
    }

    /// <summary>Problems of a <c>POST /evaluations/trace-scores</c> body sent by an SDK.</summary>
    public static List<string> Score(JsonElement s)
    {
        var e = new List<string>();
        if (s.ValueKind != JsonValueKind.Object) { e.Add("score body is not an object"); return e; }
        if (!s.TryGetProperty("trace_id", out var id) || id.ValueKind != JsonValueKind.String || !Guid.TryParse(id.GetString(), out _))
            e.Add("trace_id: required uuid");
        Text(s, "name", e, required: true, min: 1, max: 255, nullable: false);
        Text(s, "value", e, required: true, min: 0, max: 255, nullable: false);
        Enum(s, "data_type", DataTypes, e);
        if (!s.TryGetProperty("source", out var source) || source.GetString() != "PROGRAMMATIC") e.Add("source: must be PROGRAMMATIC");
        Text(s, "reason", e, required: false, min: 0, max: int.MaxValue, nullable: true);
        ObjectField(s, "metadata", e, nullable: false);
        if (s.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String)
        {
            var type = s.TryGetProperty("data_type", out var dt) ? dt.GetString() : "NUMERIC";
            var value = v.GetString()!;
            if (type == "NUMERIC" && !(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 1))
                e.Add($"value: NUMERIC '{value}' not in [0, 1]");
            if (type == "BOOLEAN" && !value.Equals("true", StringComparison.OrdinalIgnoreCase) && !value.Equals("false", StringComparison.OrdinalIgnoreCase))
                e.Add($"value: BOOLEAN '{value}' is not true/false");
        }
        return e;
    }

    private static void Text(JsonElement o, string field, List<string> e, bool required, int min, int max, bool nullable)
    {
        if (!o.TryGetProperty(field, out var v)) { if (required) e.Add($"{field}: required"); return; }
        if (v.ValueKind == JsonValueKind.Null) { if (!nullable) e.Add($"{field}: null rejected"); return; }
        if (v.ValueKind != JsonValueKind.String) { e.Add($"{field}: not a string"); return; }
        var length = v.GetString()!.EnumerateRunes().Count();
        if (length < min || length > max) e.Add($"{field}: length {length} outside {min}–{max}");
    }

    private static void Enum(JsonElement o, string field, string[] allowed, List<string> e)
    {
        if (!o.TryGetProperty(field, out var v)) return;
        if (v.ValueKind != JsonValueKind.String || !allowed.Contains(v.GetString(), StringComparer.Ordinal))
            e.Add($"{field}: {v.GetRawText()} is not one of {string.Join('|', allowed)} (null rejected)");
    }

    private static void OptionalUuid(JsonElement o, string field, List<string> e, bool nullable)
    {
        if (!o.TryGetProperty(field, out var v)) return;
        if (v.ValueKind == JsonValueKind.Null) { if (!nullable) e.Add($"{field}: null rejected"); return; }
        if (v.ValueKind != JsonValueKind.String || !Guid.TryParse(v.GetString(), out _)) e.Add($"{field}: not a uuid");
    }

    private static void Date(JsonElement o, string field, List<string> e, bool required)
    {
        if (!o.TryGetProperty(field, out var v)) { if (required) e.Add($"{field}: required"); return; }
        if (v.ValueKind == JsonValueKind.Null) { if (required) e.Add($"{field}: null rejected"); return; }
        if (v.ValueKind != JsonValueKind.String ||
            !DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            e.Add($"{field}: not a date-time");
        else if (!HasOffset(v.GetString()!))
            e.Add($"{field}: '{v.GetString()}' has no UTC offset");
    }

    private static bool HasOffset(string text) =>
        text.Contains('T') && (text.EndsWith('Z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:\d\d$"));

    private static void ObjectField(JsonElement o, string field, List<string> e, bool nullable)
    {
        if (!o.TryGetProperty(field, out var v)) return;
        if (v.ValueKind == JsonValueKind.Null) { if (!nullable) e.Add($"{field}: null rejected"); return; }
        if (v.ValueKind != JsonValueKind.Object) e.Add($"{field}: must be an object");
    }
}
