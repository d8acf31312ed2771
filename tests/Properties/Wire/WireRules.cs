using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PandaProbe.Properties.Wire;

/// <summary>
/// The platform's ingestion rules for <c>TraceCreate</c> and <c>SpanCreate</c> bodies, written out by hand from
/// CONTRACT.md §2.3–2.4 and the schema, so they run without <c>../shared</c>. Each check returns every violation it
/// finds as a path-prefixed message (empty means the body is acceptable).
/// </summary>
/// <remarks>
/// The rules are stricter than the schema where the SDK promises more: ids lower-case hyphenated, timestamps in
/// Python's <c>isoformat()</c> shape, no unknown keys, no <c>null</c> anywhere except <c>input</c>/<c>output</c>.
/// The 500-spans limit is a request rule, checked only when asked (<c>maxSpans</c>), because the model keeps every
/// span of a trace and the HTTP exporter splits the request.
/// </remarks>
public static partial class WireRules
{
    static readonly string[] TraceKeys =
        ["trace_id", "name", "status", "started_at", "input", "output", "metadata", "ended_at", "session_id", "user_id",
         "tags", "environment", "release", "spans"];

    static readonly string[] SpanKeys =
        ["span_id", "parent_span_id", "name", "kind", "status", "input", "output", "model", "token_usage", "metadata",
         "started_at", "ended_at", "error", "completion_start_time", "model_parameters", "cost"];

    static readonly string[] TraceStatuses = ["PENDING", "RUNNING", "COMPLETED", "ERROR"];
    static readonly string[] SpanStatuses = ["UNSET", "OK", "ERROR"];
    static readonly string[] SpanKinds = ["AGENT", "TOOL", "LLM", "RETRIEVER", "CHAIN", "EMBEDDING", "OTHER"];
    static readonly string[] Nullable = ["input", "output"];

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$")]
    private static partial Regex IsoTimestamp();

    /// <summary>
    /// The violations of a <c>POST /traces</c> body. A span's <c>parent_span_id</c> must name a span of the same body
    /// or one of <paramref name="absentParents"/> (spans of the trace still open when it ended: they arrive late).
    /// </summary>
    /// <param name="body">The parsed body.</param>
    /// <param name="absentParents">Parent ids allowed although not in the body.</param>
    /// <param name="maxSpans">The most spans allowed in the body, or null for no limit.</param>
    public static IReadOnlyList<string> Trace(JsonElement body, IReadOnlySet<string> absentParents, int? maxSpans = null)
    {
        var errors = new List<string>();
        if (body.ValueKind != JsonValueKind.Object) { errors.Add($"$: expected an object, got {body.ValueKind}"); return errors; }
        Keys(body, "$", TraceKeys, errors);
        Required(body, "$", ["trace_id", "name", "status", "started_at"], errors);
        NoNulls(body, "$", errors);
        if (Get(body, "trace_id") is { } id) Id(id, "$.trace_id", errors);
        if (Get(body, "name") is { } name) Text(name, "$.name", 1, Limits.MaxNameLength, errors);
        if (Get(body, "status") is { } status) Enum(status, "$.status", TraceStatuses, errors);
        foreach (var key in new[] { "started_at", "ended_at" })
            if (Get(body, key) is { } t) Timestamp(t, $"$.{key}", errors);
        foreach (var key in new[] { "session_id", "user_id", "environment", "release" })
            if (Get(body, key) is { } s) Text(s, $"$.{key}", 0, Limits.MaxShortTextLength, errors);
        if (Get(body, "metadata") is { } metadata) Kind(metadata, "$.metadata", JsonValueKind.Object, errors);
        if (Get(body, "tags") is { } tags && Kind(tags, "$.tags", JsonValueKind.Array, errors))
        {
            var i = 0;
            foreach (var tag in tags.EnumerateArray()) Kind(tag, $"$.tags[{i++}]", JsonValueKind.String, errors);
        }
        if (Get(body, "spans") is { } spans && Kind(spans, "$.spans", JsonValueKind.Array, errors))
        {
            if (maxSpans is { } max && spans.GetArrayLength() > max) errors.Add($"$.spans: {spans.GetArrayLength()} spans, more than {max}");
            errors.AddRange(Spans(spans, absentParents, "$.spans", requireParentInBody: true));
        }
        return errors;
    }

    /// <summary>
    /// The violations of a <c>POST /traces/{id}/spans</c> body (a JSON array of span bodies). Parents need not be in
    /// the body (they usually arrived with the trace), but must be one of <paramref name="knownSpans"/> when given.
    /// </summary>
    /// <param name="body">The parsed array.</param>
    /// <param name="knownSpans">The span ids of the trace, or null to skip the parent check.</param>
    public static IReadOnlyList<string> LateSpans(JsonElement body, IReadOnlySet<string>? knownSpans)
    {
        if (body.ValueKind != JsonValueKind.Array) return [$"$: expected an array, got {body.ValueKind}"];
        return Spans(body, knownSpans ?? new System.Collections.Generic.HashSet<string>(), "$", requireParentInBody: knownSpans is not null);
    }

    /// <summary>The violations of one <c>SpanCreate</c> body, parent links aside.</summary>
    public static IReadOnlyList<string> Span(JsonElement span, string path = "$")
    {
        var errors = new List<string>();
        SpanFields(span, path, errors);
        return errors;
    }

    static List<string> Spans(JsonElement spans, IReadOnlySet<string> absentParents, string path, bool requireParentInBody)
    {
        var errors = new List<string>();
        var ids = new System.Collections.Generic.HashSet<string>();
        var i = 0;
        foreach (var span in spans.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            SpanFields(span, at, errors);
            if (Str(span, "span_id") is { } id && !ids.Add(id)) errors.Add($"{at}.span_id: {id} appears twice in the body");
        }
        if (!requireParentInBody) return errors;
        i = 0;
        foreach (var span in spans.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            if (Str(span, "parent_span_id") is not { } p) continue;
            if (!ids.Contains(p) && !absentParents.Contains(p))
                errors.Add($"{at}.parent_span_id: {p} is neither in the body nor a span of the trace that ended late");
            if (Str(span, "span_id") == p) errors.Add($"{at}.parent_span_id: the span is its own parent");
        }
        return errors;
    }

    static void SpanFields(JsonElement span, string path, List<string> errors)
    {
        if (!Kind(span, path, JsonValueKind.Object, errors)) return;
        Keys(span, path, SpanKeys, errors);
        Required(span, path, ["span_id", "name", "kind", "status", "started_at"], errors);
        NoNulls(span, path, errors);
        foreach (var key in new[] { "span_id", "parent_span_id" })
            if (Get(span, key) is { } id) Id(id, $"{path}.{key}", errors);
        if (Get(span, "name") is { } name) Text(name, $"{path}.name", 1, Limits.MaxNameLength, errors);
        if (Get(span, "kind") is { } kind) Enum(kind, $"{path}.kind", SpanKinds, errors);
        if (Get(span, "status") is { } status) Enum(status, $"{path}.status", SpanStatuses, errors);
        if (Get(span, "model") is { } model) Text(model, $"{path}.model", 0, Limits.MaxShortTextLength, errors);
        if (Get(span, "error") is { } error) Kind(error, $"{path}.error", JsonValueKind.String, errors);
        foreach (var key in new[] { "started_at", "ended_at", "completion_start_time" })
            if (Get(span, key) is { } t) Timestamp(t, $"{path}.{key}", errors);
        foreach (var key in new[] { "metadata", "model_parameters" })
            if (Get(span, key) is { } o) Kind(o, $"{path}.{key}", JsonValueKind.Object, errors);
        if (Get(span, "token_usage") is { } usage && Kind(usage, $"{path}.token_usage", JsonValueKind.Object, errors))
            foreach (var count in usage.EnumerateObject())
                if (count.Value.ValueKind != JsonValueKind.Number || !count.Value.TryGetInt64(out _))
                    errors.Add($"{path}.token_usage.{count.Name}: {count.Value.GetRawText()} is not an integer");
        if (Get(span, "cost") is { } cost && Kind(cost, $"{path}.cost", JsonValueKind.Object, errors))
            foreach (var part in cost.EnumerateObject())
                if (part.Value.ValueKind != JsonValueKind.Number || !part.Value.TryGetDouble(out var d) || !double.IsFinite(d))
                    errors.Add($"{path}.cost.{part.Name}: {part.Value.GetRawText()} is not a finite number");
    }

    static string? Str(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static JsonElement? Get(JsonElement o, string key) => o.TryGetProperty(key, out var v) ? v : null;

    static void Keys(JsonElement o, string path, string[] allowed, List<string> errors)
    {
        var seen = new System.Collections.Generic.HashSet<string>();
        foreach (var p in o.EnumerateObject())
        {
            if (!allowed.Contains(p.Name)) errors.Add($"{path}.{p.Name}: unknown key");
            if (!seen.Add(p.Name)) errors.Add($"{path}.{p.Name}: duplicate key");
        }
    }

    static void Required(JsonElement o, string path, string[] keys, List<string> errors)
    {
        foreach (var key in keys)
            if (!o.TryGetProperty(key, out _)) errors.Add($"{path}.{key}: required");
    }

    static void NoNulls(JsonElement o, string path, List<string> errors)
    {
        foreach (var p in o.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Null && !Nullable.Contains(p.Name)) errors.Add($"{path}.{p.Name}: null");
    }

    static bool Kind(JsonElement v, string path, JsonValueKind kind, List<string> errors)
    {
        if (v.ValueKind == kind) return true;
        errors.Add($"{path}: expected {kind}, got {v.ValueKind}");
        return false;
    }

    static void Text(JsonElement v, string path, int min, int max, List<string> errors)
    {
        if (!Kind(v, path, JsonValueKind.String, errors)) return;
        var length = v.GetString()!.Length;
        if (length < min || length > max) errors.Add($"{path}: length {length} outside {min}–{max}");
    }

    static void Enum(JsonElement v, string path, string[] names, List<string> errors)
    {
        if (Kind(v, path, JsonValueKind.String, errors) && !names.Contains(v.GetString(), StringComparer.Ordinal))
            errors.Add($"{path}: '{v.GetString()}' is not one of {string.Join(", ", names)}");
    }

    static void Id(JsonElement v, string path, List<string> errors)
    {
        if (Kind(v, path, JsonValueKind.String, errors) && !Uuid().IsMatch(v.GetString()!))
            errors.Add($"{path}: '{v.GetString()}' is not a lower-case hyphenated uuid");
    }

    static void Timestamp(JsonElement v, string path, List<string> errors)
    {
        if (!Kind(v, path, JsonValueKind.String, errors)) return;
        var s = v.GetString()!;
        if (!IsoTimestamp().IsMatch(s)
            || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _))
            errors.Add($"{path}: '{s}' is not an isoformat() UTC timestamp");
    }
}
