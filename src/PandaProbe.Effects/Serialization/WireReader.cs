using System.Globalization;
using System.Text.Json;

namespace PandaProbe.Serialization;

/// <summary>
/// The inverse of <see cref="WireJson"/>: reads platform bodies (seed files, recorded requests, JSON Lines written
/// by the file exporter) back into the model. Meant for tests and tools, not the hot path.
/// </summary>
/// <remarks>
/// Accepts what the platform accepts: timestamps with <c>Z</c> or any offset and any number of fraction digits
/// (naive ones are read as UTC, numbers as Unix time), explicit <c>null</c> for any optional top-level field (read as
/// absent, so <c>"output": null</c> becomes None), missing optional keys, and missing ids (a fresh id is generated,
/// as the server does). The SDK's metadata keys (<c>params</c>, <c>logs</c>, <c>error</c>, <c>error_type</c>,
/// <c>error_data</c>, <c>parent_trace_id</c>) are moved back to their fields when they have the SDK's shape. JSON
/// string payloads are read as <see cref="Payload.Text"/>. Invalid input throws <see cref="FormatException"/>
/// naming the offending path. <c>ReadTrace(WireJson.Trace(t))</c> gives back <c>t</c> field by field, except for
/// sub-microsecond ticks (truncated on the wire), an input or output of JSON <c>null</c> (read back as absent), and a
/// user metadata key that shadows one of the SDK's keys (the writer keeps the user's value, so the SDK's is lost).
/// </remarks>
internal static class WireReader
{
    static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    /// <summary>Reads a <c>POST /traces</c> body.</summary>
    /// <exception cref="FormatException">The text is not a valid trace body.</exception>
    public static TraceRecord ReadTrace(string json)
    {
        using var doc = Parse(json);
        return ReadTrace(doc.RootElement);
    }

    /// <summary>Reads a <c>POST /traces</c> body from a parsed element.</summary>
    /// <exception cref="FormatException">The element is not a valid trace body.</exception>
    public static TraceRecord ReadTrace(JsonElement e)
    {
        RequireObject(e, "trace");
        var id = OptionalGuid(e, "trace_id", "trace") is { } g ? new TraceId(g) : TraceId.New();
        var status = OptionalString(e, "status", "trace") is { } s ? ParseTraceStatus(s, "trace.status") : TraceStatus.Completed;
        var ended = OptionalTimestamp(e, "ended_at", "trace");
        var metadata = OptionalPayloadMap(e, "metadata", "trace");
        var parameters = Take(ref metadata, WireJson.ParamsKey, v => v.ValueKind == JsonValueKind.Object, v => PayloadMap(v, "trace.metadata.params"));
        var logs = Take(ref metadata, WireJson.LogsKey, IsLogArray, v => Logs(v, "trace.metadata.logs"));
        var error = TakeError(ref metadata, e, trace: true);
        var parent = Take(ref metadata, WireJson.ParentTraceKey, v => v.ValueKind == JsonValueKind.String && Guid.TryParse(v.GetString(), out _),
            v => new TraceId(Guid.Parse(v.GetString()!)));
        var continuationSpan = Take(ref metadata, WireJson.ContinuationSpanKey, v => v.ValueKind == JsonValueKind.String && Guid.TryParse(v.GetString(), out _),
            v => new SpanId(Guid.Parse(v.GetString()!)));
        var continuationParent = Take(ref metadata, WireJson.ContinuationParentKey, v => v.ValueKind == JsonValueKind.String && Guid.TryParse(v.GetString(), out _),
            v => new SpanId(Guid.Parse(v.GetString()!)));
        var trace = new TraceRecord
        {
            Id = id,
            Name = RequiredName(e, "trace"),
            Status = status,
            StatusIsExplicit = ended is null ? status != TraceStatus.Running : status != TraceStatus.Completed,
            StartedAt = RequiredTimestamp(e, "started_at", "trace"),
            EndedAt = ended,
            Input = OptionalPayload(e, "input"),
            Output = OptionalPayload(e, "output"),
            Metadata = metadata.Payloads,
            SessionId = OptionalText(e, "session_id", "trace"),
            UserId = OptionalText(e, "user_id", "trace"),
            Tags = Tags(e),
            Environment = OptionalText(e, "environment", "trace"),
            Release = OptionalText(e, "release", "trace"),
            Error = error,
            ParentTrace = parent.ToNullableValue(),
            ContinuationSpan = continuationSpan.ToNullableValue(),
            ContinuationParent = continuationSpan.IsSome ? continuationParent.ToNullableValue() : null,
            Params = parameters.IfNone(Map<string, Payload>()),
            Logs = logs.IfNone(Seq<LogEntry>()),
        };
        var spans = new List<Span>();
        if (Optional(e, "spans") is { } array)
        {
            if (array.ValueKind != JsonValueKind.Array) throw Fail("trace.spans", "expected an array of spans");
            var i = 0;
            foreach (var item in array.EnumerateArray()) spans.Add(ReadSpan(item, id, $"trace.spans[{i++}]"));
        }
        return trace with { Spans = spans.ToSeq().Strict() };
    }

    /// <summary>Reads a <c>POST /traces/{trace_id}/spans</c> body (a JSON array of spans) for trace <paramref name="trace"/>.</summary>
    /// <exception cref="FormatException">The text is not a valid span array.</exception>
    public static IReadOnlyList<Span> ReadSpans(string json, TraceId trace)
    {
        using var doc = Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array) throw Fail("spans", $"expected an array, found {root.ValueKind}");
        var spans = new List<Span>();
        var i = 0;
        foreach (var item in root.EnumerateArray()) spans.Add(ReadSpan(item, trace, $"spans[{i++}]"));
        return spans;
    }

    /// <summary>Reads one span body for trace <paramref name="trace"/>.</summary>
    /// <exception cref="FormatException">The element is not a valid span body.</exception>
    public static Span ReadSpan(JsonElement e, TraceId trace) => ReadSpan(e, trace, "span");

    /// <summary>Reads a <c>POST /evaluations/trace-scores</c> body.</summary>
    /// <exception cref="FormatException">The text is not a valid score body.</exception>
    public static Score ReadScore(string json)
    {
        using var doc = Parse(json);
        return ReadScore(doc.RootElement);
    }

    /// <summary>Reads a score body from a parsed element (the file exporter's <c>score</c> records included).</summary>
    /// <exception cref="FormatException">The element is not a valid score body.</exception>
    public static Score ReadScore(JsonElement e)
    {
        RequireObject(e, "score");
        var trace = OptionalGuid(e, "trace_id", "score") ?? throw Fail("score.trace_id", "is required");
        var name = OptionalString(e, "name", "score") ?? throw Fail("score.name", "is required");
        var value = OptionalString(e, "value", "score") ?? throw Fail("score.value", "is required (a string)");
        var type = OptionalString(e, "data_type", "score") is { } t ? ParseDataType(t, "score.data_type") : ScoreDataType.Numeric;
        return new Score(new TraceId(trace), name, value, type, OptionalText(e, "reason", "score"),
            OptionalPayloadMap(e, "metadata", "score").Payloads);
    }

    static Span ReadSpan(JsonElement e, TraceId trace, string path)
    {
        RequireObject(e, path);
        var metadata = OptionalPayloadMap(e, "metadata", path);
        var parameters = Take(ref metadata, WireJson.ParamsKey, v => v.ValueKind == JsonValueKind.Object, v => PayloadMap(v, path + ".metadata.params"));
        var logs = Take(ref metadata, WireJson.LogsKey, IsLogArray, v => Logs(v, path + ".metadata.logs"));
        var error = TakeError(ref metadata, e, trace: false);
        var ended = OptionalTimestamp(e, "ended_at", path);
        var first = OptionalTimestamp(e, "completion_start_time", path);
        return new Span
        {
            Id = OptionalGuid(e, "span_id", path) is { } g ? new SpanId(g) : SpanId.New(),
            Trace = trace,
            Parent = OptionalGuid(e, "parent_span_id", path) is { } p ? new SpanId(p) : null,
            Name = RequiredName(e, path),
            Kind = OptionalString(e, "kind", path) is { } k ? ParseKind(k, path + ".kind") : SpanType.Other,
            Status = OptionalString(e, "status", path) is { } s ? ParseSpanStatus(s, path + ".status") : SpanStatus.Unset,
            StartedAt = RequiredTimestamp(e, "started_at", path),
            EndedAt = ended,
            Input = OptionalPayload(e, "input"),
            Output = OptionalPayload(e, "output"),
            Model = OptionalText(e, "model", path),
            Tokens = Optional(e, "token_usage") is { } tokens ? Tokens(tokens, path + ".token_usage") : null,
            Cost = Optional(e, "cost") is { } cost ? Cost(cost, path + ".cost") : null,
            ModelParameters = Optional(e, "model_parameters") is { } mp
                ? mp.ValueKind == JsonValueKind.Object ? PayloadMap(mp, path + ".model_parameters") : throw Fail(path + ".model_parameters", "expected an object")
                : null,
            CompletionStartTime = first,
            Error = error,
            Metadata = metadata.Payloads,
            Params = parameters.IfNone(Map<string, Payload>()),
            Logs = logs.IfNone(Seq<LogEntry>()),
        };
    }

    /// <summary>Reads a timestamp as the platform does (ISO 8601 with any fraction and offset, naive = UTC, or Unix time).</summary>
    /// <exception cref="FormatException">The value is not a timestamp.</exception>
    public static DateTimeOffset ParseTimestamp(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            // pydantic reads numbers above 2e10 as milliseconds, others as seconds.
            var ms = Math.Abs(number) > 2e10 ? number : number * 1000;
            try { return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond)); }
            catch (ArgumentOutOfRangeException) { throw Fail(path, $"timestamp {number} is out of range"); }
        }
        if (value.ValueKind != JsonValueKind.String) throw Fail(path, $"expected a timestamp string, found {value.ValueKind}");
        var text = value.GetString()!;
        return TryParseTimestamp(text, out var t) ? t : throw Fail(path, $"'{text}' is not an ISO 8601 timestamp");
    }

    /// <summary>Parses an ISO 8601 timestamp (fractions beyond 7 digits are truncated; no offset means UTC).</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 10 || !char.IsAsciiDigit(text[0])) return false;
        var s = text.Trim();
        var dot = s.IndexOf('.', 10);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) s = string.Concat(s.AsSpan(0, dot + 8), s.AsSpan(end));
        }
        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var parsed))
            return false;
        value = parsed.ToUniversalTime();
        return true;
    }

    // ---- metadata reverse mapping -------------------------------------------------------------------------------

    /// <summary>Metadata read from the wire: the payload map and the raw elements, so SDK keys can be taken back out.</summary>
    sealed record MetadataBag(Map<string, Payload> Payloads, Dictionary<string, JsonElement> Raw);

    static Option<T> Take<T>(ref MetadataBag bag, string key, Func<JsonElement, bool> hasShape, Func<JsonElement, T> read)
    {
        if (!bag.Raw.TryGetValue(key, out var raw) || !hasShape(raw)) return None;
        var value = read(raw);
        bag.Raw.Remove(key);
        bag = bag with { Payloads = bag.Payloads.Remove(key) };
        return Some(value);
    }

    static ErrorInfo? TakeError(ref MetadataBag metadata, JsonElement body, bool trace)
    {
        string message;
        if (trace)
        {
            var taken = Take(ref metadata, WireJson.ErrorKey, v => v.ValueKind == JsonValueKind.String, v => v.GetString()!);
            if (!taken.TryGet(out message)) return null;
        }
        else
        {
            if (Optional(body, "error") is not { } error) return null;
            if (error.ValueKind != JsonValueKind.String) throw Fail("span.error", "expected a string");
            message = error.GetString()!;
        }
        var type = Take(ref metadata, WireJson.ErrorTypeKey, v => v.ValueKind == JsonValueKind.String, v => v.GetString()!);
        var data = Take(ref metadata, WireJson.ErrorDataKey, v => v.ValueKind == JsonValueKind.Object, v => PayloadMap(v, "error_data"));
        return new ErrorInfo(message, type.ToNullable(), data.IfNone(Map<string, Payload>()));
    }

    static bool IsLogArray(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array) return false;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return false;
            var count = 0;
            foreach (var _ in item.EnumerateObject()) count++;
            if (count != 2 || !item.TryGetProperty("data", out var _) || !item.TryGetProperty("at", out var at)
                || at.ValueKind != JsonValueKind.String || !TryParseTimestamp(at.GetString()!, out var _))
                return false;
        }
        return true;
    }

    static Seq<LogEntry> Logs(JsonElement v, string path) =>
        v.EnumerateArray()
            .Select(item => new LogEntry(ParseTimestamp(item.GetProperty("at"), path + ".at"), ToPayload(item.GetProperty("data"))))
            .ToArray()
            .ToSeq();

    // ---- field helpers ------------------------------------------------------------------------------------------

    static JsonDocument Parse(string json)
    {
        if (json is null) throw new FormatException("JSON text is null");
        try { return JsonDocument.Parse(json, DocumentOptions); }
        catch (JsonException ex) { throw new FormatException($"invalid JSON: {ex.Message}", ex); }
    }

    static FormatException Fail(string path, string message) => new($"{path}: {message}");

    static void RequireObject(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Fail(path, $"expected an object, found {e.ValueKind}");
    }

    /// <summary>The property, or null when missing or explicitly null.</summary>
    static JsonElement? Optional(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static string? OptionalString(JsonElement e, string name, string path) => Optional(e, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { } v => throw Fail($"{path}.{name}", $"expected a string, found {v.ValueKind}"),
    };

    static string? OptionalText(JsonElement e, string name, string path) => OptionalString(e, name, path);

    static Guid? OptionalGuid(JsonElement e, string name, string path)
    {
        if (OptionalString(e, name, path) is not { } s) return null;
        return Guid.TryParse(s, out var g) ? g : throw Fail($"{path}.{name}", $"'{s}' is not a UUID");
    }

    static string RequiredName(JsonElement e, string path)
    {
        var name = OptionalString(e, "name", path) ?? throw Fail(path + ".name", "is required");
        return name.Length == 0 ? throw Fail(path + ".name", "must not be empty") : name;
    }

    static DateTimeOffset RequiredTimestamp(JsonElement e, string name, string path) =>
        Optional(e, name) is { } v ? ParseTimestamp(v, $"{path}.{name}") : throw Fail($"{path}.{name}", "is required");

    static DateTimeOffset? OptionalTimestamp(JsonElement e, string name, string path) =>
        Optional(e, name) is { } v ? ParseTimestamp(v, $"{path}.{name}") : null;

    static Payload? OptionalPayload(JsonElement e, string name) =>
        Optional(e, name) is { } v ? ToPayload(v) : null;

    /// <summary>A payload for any JSON value: strings as text, everything else as compact JSON text.</summary>
    public static Payload ToPayload(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => Payload.Text(v.GetString()!),
        JsonValueKind.Null or JsonValueKind.Undefined => Payload.Null,
        _ => Payload.Json(Compact(v)),
    };

    static string Compact(JsonElement v)
    {
        var raw = v.GetRawText();
        if (raw.AsSpan().IndexOfAny('\n', '\r') < 0) return raw;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(raw.Length);
        using (var w = new Utf8JsonWriter(buffer, WireJson.WriterOptions)) v.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static MetadataBag OptionalPayloadMap(JsonElement e, string name, string path)
    {
        var raw = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (Optional(e, name) is not { } v) return new MetadataBag(Map<string, Payload>(), raw);
        if (v.ValueKind != JsonValueKind.Object) throw Fail($"{path}.{name}", $"expected an object, found {v.ValueKind}");
        foreach (var p in v.EnumerateObject()) raw[p.Name] = p.Value;
        return new MetadataBag(PayloadMap(v, $"{path}.{name}"), raw);
    }

    static Map<string, Payload> PayloadMap(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Fail(path, $"expected an object, found {v.ValueKind}");
        var map = Map<string, Payload>();
        foreach (var p in v.EnumerateObject()) map = map.AddOrUpdate(p.Name, ToPayload(p.Value));
        return map;
    }

    static Seq<string> Tags(JsonElement e)
    {
        if (Optional(e, "tags") is not { } v) return Seq<string>();
        if (v.ValueKind != JsonValueKind.Array) throw Fail("trace.tags", "expected an array of strings");
        var tags = new List<string>();
        foreach (var t in v.EnumerateArray())
            tags.Add(t.ValueKind == JsonValueKind.String ? t.GetString()! : throw Fail("trace.tags", $"expected strings, found {t.ValueKind}"));
        return tags.ToSeq().Strict();
    }

    static TokenUsage Tokens(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Fail(path, "expected an object");
        var counts = Map<string, long>();
        foreach (var p in v.EnumerateObject())
            counts = counts.AddOrUpdate(p.Name, IntegerValue(p.Value, $"{path}.{p.Name}"));
        return new TokenUsage(counts);
    }

    static long IntegerValue(JsonElement v, string path)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Number when v.TryGetInt64(out var l): return l;
            case JsonValueKind.Number when v.TryGetDecimal(out var d) && decimal.Truncate(d) == d && d is >= long.MinValue and <= long.MaxValue:
                return (long)d;
            case JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s): return s;
            case JsonValueKind.True: return 1;
            case JsonValueKind.False: return 0;
            default: throw Fail(path, $"expected an integer, found {v}");
        }
    }

    static Cost Cost(JsonElement v, string path)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Fail(path, "expected an object of numbers");
        var components = Map<string, double>();
        foreach (var p in v.EnumerateObject())
        {
            var value = p.Value.ValueKind switch
            {
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.String when double.TryParse(p.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                _ => throw Fail($"{path}.{p.Name}", $"expected a number, found {p.Value.ValueKind}"),
            };
            if (!double.IsFinite(value)) throw Fail($"{path}.{p.Name}", "must be finite");
            components = components.AddOrUpdate(p.Name, value);
        }
        return new Cost(components);
    }

    static SpanType ParseKind(string s, string path) =>
        WireJson.TryParseKind(s, out var kind) ? kind : throw Fail(path, $"'{s}' is not a span kind");

    static SpanStatus ParseSpanStatus(string s, string path) => s switch
    {
        "UNSET" => SpanStatus.Unset,
        "OK" => SpanStatus.Ok,
        "ERROR" => SpanStatus.Error,
        _ => throw Fail(path, $"'{s}' is not a span status"),
    };

    static TraceStatus ParseTraceStatus(string s, string path) => s switch
    {
        "PENDING" => TraceStatus.Pending,
        "RUNNING" => TraceStatus.Running,
        "COMPLETED" => TraceStatus.Completed,
        "ERROR" => TraceStatus.Error,
        _ => throw Fail(path, $"'{s}' is not a trace status"),
    };

    static ScoreDataType ParseDataType(string s, string path) => s switch
    {
        "NUMERIC" => ScoreDataType.Numeric,
        "BOOLEAN" => ScoreDataType.Boolean,
        "CATEGORICAL" => ScoreDataType.Categorical,
        _ => throw Fail(path, $"'{s}' is not a score data type"),
    };
}
