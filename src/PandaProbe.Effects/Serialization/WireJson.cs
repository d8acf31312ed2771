using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PandaProbe.Serialization;

/// <summary>
/// Writes the platform's JSON bodies (<c>POST /traces</c>, <c>POST /traces/{id}/spans</c>,
/// <c>POST /evaluations/trace-scores</c>) exactly as the Python SDK emits them: the same key order, the same omission
/// rules, lower-case ids, <c>isoformat()</c> timestamps, upper-case enums, compact output with non-ASCII left unescaped.
/// Pure mapping by hand from the model (no LanguageExt type ever reaches a serializer); never throws on model values.
/// Values are written as they are: the pipeline's enrichment has already fitted names and short texts to the
/// platform's limits.
/// </summary>
/// <remarks>
/// SDK-only data travels inside <c>metadata</c>: registered parameters as <c>params</c>, log lines as <c>logs</c>
/// (<c>[{"at":…,"data":…}]</c>), the trace error as <c>error</c>/<c>error_type</c>/<c>error_data</c> (a span's error
/// message goes in its <c>error</c> field, its type and data in metadata), and the parent run as
/// <c>parent_trace_id</c>. A user metadata key of the same name always wins over the SDK's key.
/// </remarks>
internal static class WireJson
{
    /// <summary>The metadata key holding registered parameters.</summary>
    public const string ParamsKey = "params";
    /// <summary>The metadata key holding log lines.</summary>
    public const string LogsKey = "logs";
    /// <summary>The metadata key holding a trace's error message.</summary>
    public const string ErrorKey = "error";
    /// <summary>The metadata key holding the exception type of an error.</summary>
    public const string ErrorTypeKey = "error_type";
    /// <summary>The metadata key holding extra error data.</summary>
    public const string ErrorDataKey = "error_data";
    /// <summary>The metadata key holding the parent run's trace id.</summary>
    public const string ParentTraceKey = "parent_trace_id";
    /// <summary>The metadata key holding a continuation's span (see <see cref="Model.TraceRecord.ContinuationSpan"/>), in trace bodies kept locally.</summary>
    public const string ContinuationSpanKey = "continuation_span_id";
    /// <summary>The metadata key holding a continuation's calling span (see <see cref="Model.TraceRecord.ContinuationParent"/>).</summary>
    public const string ContinuationParentKey = "continuation_parent_span_id";
    /// <summary>The score <c>source</c> the SDK always sends.</summary>
    public const string ScoreSource = "PROGRAMMATIC";

    /// <summary>The writer options of every body: compact, relaxed escaping (non-ASCII characters are not escaped).</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The <c>POST /traces</c> body of a trace with all its spans.</summary>
    public static string Trace(TraceRecord trace) => Trace(trace, trace.Spans);

    /// <summary>The <c>POST /traces</c> body of a trace carrying only <paramref name="spans"/> (to split a trace over 500 spans).</summary>
    public static string Trace(TraceRecord trace, IEnumerable<Span> spans) => Render(w => WriteTrace(w, trace, spans));

    /// <summary>The <c>POST /traces</c> body of a trace with all its spans, as UTF-8 bytes.</summary>
    public static byte[] TraceUtf8(TraceRecord trace) => TraceUtf8(trace, trace.Spans);

    /// <summary>The <c>POST /traces</c> body of a trace carrying only <paramref name="spans"/>, as UTF-8 bytes.</summary>
    public static byte[] TraceUtf8(TraceRecord trace, IEnumerable<Span> spans) => RenderUtf8(w => WriteTrace(w, trace, spans));

    /// <summary>The JSON array body of <c>POST /traces/{trace_id}/spans</c>.</summary>
    public static string Spans(IEnumerable<Span> spans) => Render(w => WriteSpans(w, spans));

    /// <summary>One span's platform body as JSON (a line of a saved trace).</summary>
    public static string Span(Span span) => Render(w => WriteSpan(w, span));

    /// <summary>The JSON array body of <c>POST /traces/{trace_id}/spans</c>, as UTF-8 bytes.</summary>
    public static byte[] SpansUtf8(IEnumerable<Span> spans) => RenderUtf8(w => WriteSpans(w, spans));

    /// <summary>The <c>POST /evaluations/trace-scores</c> body.</summary>
    public static string Score(Score score) => Render(w => WriteScore(w, score));

    /// <summary>The <c>POST /evaluations/trace-scores</c> body, as UTF-8 bytes.</summary>
    public static byte[] ScoreUtf8(Score score) => RenderUtf8(w => WriteScore(w, score));

    /// <summary>Writes a trace body with all its spans.</summary>
    public static void WriteTrace(Utf8JsonWriter w, TraceRecord trace) => WriteTrace(w, trace, trace.Spans);

    /// <summary>Writes a trace body carrying only <paramref name="spans"/> (the trace's own spans are ignored).</summary>
    public static void WriteTrace(Utf8JsonWriter w, TraceRecord trace, IEnumerable<Span> spans)
    {
        w.WriteStartObject();
        w.WriteString("trace_id", trace.Id.ToString());
        WriteString(w, "name", trace.Name);
        w.WriteString("status", Name(trace.Status));
        w.WriteString("started_at", Timestamp(trace.StartedAt));
        if (trace.Input is { } input) WritePayload(w, "input", input);
        if (trace.Output is { } output) WritePayload(w, "output", output);
        WriteMetadata(w, trace.Metadata, trace.Params, trace.Logs, trace.Error, errorMessageInMetadata: true,
            trace.ParentTrace, trace.ContinuationSpan, trace.ContinuationParent);
        if (trace.EndedAt is { } ended) w.WriteString("ended_at", Timestamp(ended));
        WriteOptionalString(w, "session_id", trace.SessionId);
        WriteOptionalString(w, "user_id", trace.UserId);
        if (!trace.Tags.IsEmpty)
        {
            w.WriteStartArray("tags");
            foreach (var tag in trace.Tags) WriteStringValue(w, tag ?? string.Empty);
            w.WriteEndArray();
        }
        WriteOptionalString(w, "environment", trace.Environment);
        WriteOptionalString(w, "release", trace.Release);
        var started = false;
        foreach (var span in spans ?? [])
        {
            if (span is null) continue;
            if (!started) { w.WriteStartArray("spans"); started = true; }
            WriteSpan(w, span);
        }
        if (started) w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes a JSON array of span bodies.</summary>
    public static void WriteSpans(Utf8JsonWriter w, IEnumerable<Span> spans)
    {
        w.WriteStartArray();
        foreach (var span in spans ?? [])
            if (span is not null) WriteSpan(w, span);
        w.WriteEndArray();
    }

    /// <summary>Writes one span body.</summary>
    public static void WriteSpan(Utf8JsonWriter w, Span span)
    {
        w.WriteStartObject();
        w.WriteString("span_id", span.Id.ToString());
        if (span.Parent is { } parent) w.WriteString("parent_span_id", parent.ToString());
        WriteString(w, "name", span.Name);
        w.WriteString("kind", Name(span.Kind));
        w.WriteString("status", Name(span.Status));
        if (span.Input is { } input) WritePayload(w, "input", input);
        if (span.Output is { } output) WritePayload(w, "output", output);
        WriteOptionalString(w, "model", span.Model);
        if (span.Tokens is { } tokens)
        {
            w.WriteStartObject("token_usage");
            if (tokens.TryGetBase(out var prompt, out var completion))
            {
                // The map's order (completion_tokens sorts first), without building the map.
                w.WriteNumber(TokenUsage.CompletionKey, completion);
                w.WriteNumber(TokenUsage.PromptKey, prompt);
            }
            else
                foreach (var (key, count) in tokens.Counts) w.WriteNumber(JsonText.Storable(key), count);
            w.WriteEndObject();
        }
        var error = span.Error;
        WriteMetadata(w, span.Metadata, span.Params, span.Logs, error, errorMessageInMetadata: false, parentTrace: null);
        w.WriteString("started_at", Timestamp(span.StartedAt));
        if (span.EndedAt is { } ended) w.WriteString("ended_at", Timestamp(ended));
        if (error is not null) WriteString(w, "error", error.Message ?? string.Empty);
        if (span.CompletionStartTime is { } first) w.WriteString("completion_start_time", Timestamp(first));
        if (span.ModelParameters is { } parameters) WritePayloadObject(w, "model_parameters", parameters);
        if (span.Cost is { } cost)
        {
            w.WriteStartObject("cost");
            if (cost.TryGetTotalOnly(out var total)) { if (double.IsFinite(total)) w.WriteNumber(Cost.TotalKey, total); }
            else
                foreach (var (key, value) in cost.Components)
                    if (double.IsFinite(value)) w.WriteNumber(JsonText.Storable(key), value);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>Writes a score body.</summary>
    public static void WriteScore(Utf8JsonWriter w, Score score)
    {
        w.WriteStartObject();
        WriteScoreFields(w, score);
        w.WriteEndObject();
    }

    /// <summary>Writes the properties of a score body into an object the caller has opened.</summary>
    public static void WriteScoreFields(Utf8JsonWriter w, Score score)
    {
        w.WriteString("trace_id", score.Trace.ToString());
        WriteString(w, "name", score.Name ?? string.Empty);
        WriteString(w, "value", score.Value ?? string.Empty);
        w.WriteString("data_type", Name(score.DataType));
        w.WriteString("source", ScoreSource);
        if (score.Reason is { } reason) WriteString(w, "reason", reason);
        if (!score.Metadata.IsEmpty) WritePayloadObject(w, "metadata", score.Metadata);
    }

    /// <summary>
    /// A timestamp as Python's <c>isoformat()</c> of an aware UTC datetime: <c>yyyy-MM-ddTHH:mm:ss.ffffff+00:00</c>,
    /// without the fraction when the microseconds are zero. Ticks below a microsecond are truncated.
    /// </summary>
    public static string Timestamp(DateTimeOffset t)
    {
        var utc = t.UtcDateTime;
        var micros = utc.Ticks % TimeSpan.TicksPerSecond / 10;
        Span<char> buffer = stackalloc char[32];
        utc.TryFormat(buffer, out var n, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        if (micros != 0)
        {
            buffer[n++] = '.';
            micros.TryFormat(buffer[n..], out var m, "D6", CultureInfo.InvariantCulture);
            n += m;
        }
        "+00:00".AsSpan().CopyTo(buffer[n..]);
        return new string(buffer[..(n + 6)]);
    }

    /// <summary>Parses an exact (upper-case) wire name of a span kind; <c>false</c> for anything else.</summary>
    public static bool TryParseKind(string? name, out SpanType kind)
    {
        foreach (var k in Enum.GetValues<SpanType>())
            if (string.Equals(Name(k), name, StringComparison.Ordinal)) { kind = k; return true; }
        kind = SpanType.Other;
        return false;
    }

    /// <summary>The wire name of a span kind (<c>LLM</c>, <c>TOOL</c>, …).</summary>
    public static string Name(SpanType kind) => kind switch
    {
        SpanType.Agent => "AGENT",
        SpanType.Tool => "TOOL",
        SpanType.Llm => "LLM",
        SpanType.Retriever => "RETRIEVER",
        SpanType.Chain => "CHAIN",
        SpanType.Embedding => "EMBEDDING",
        _ => "OTHER",
    };

    /// <summary>The wire name of a trace status.</summary>
    public static string Name(TraceStatus status) => status switch
    {
        TraceStatus.Pending => "PENDING",
        TraceStatus.Running => "RUNNING",
        TraceStatus.Error => "ERROR",
        _ => "COMPLETED",
    };

    /// <summary>The wire name of a span status.</summary>
    public static string Name(SpanStatus status) => status switch
    {
        SpanStatus.Ok => "OK",
        SpanStatus.Error => "ERROR",
        _ => "UNSET",
    };

    /// <summary>The wire name of a score data type.</summary>
    public static string Name(ScoreDataType type) => type switch
    {
        ScoreDataType.Boolean => "BOOLEAN",
        ScoreDataType.Categorical => "CATEGORICAL",
        _ => "NUMERIC",
    };

    /// <summary>Writes a payload value: a plain string as a JSON string, JSON text as itself (as a string if invalid).</summary>
    public static void WritePayloadValue(Utf8JsonWriter w, Payload? payload)
    {
        if (payload is null) { w.WriteNullValue(); return; }
        if (payload.IsText) { WriteStringValue(w, payload.Value); return; }
        if (payload.Utf8 is { } utf8 && utf8.AsSpan().IndexOf("\\u"u8) < 0 && utf8.AsSpan().IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            // The capture's own UTF-8, with no escape that storing would rewrite: written as it is, never decoded.
            try
            {
                w.WriteRawValue(utf8, skipInputValidation: false);
                return;
            }
            catch (Exception e) when (e is JsonException or ArgumentException) { }
        }
        var text = JsonText.StorableJson(payload.Value);
        if (text.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            // Whitespace between tokens would break one-line records: re-emit the value compactly.
            try
            {
                using var doc = JsonDocument.Parse(text);
                doc.RootElement.WriteTo(w);
                return;
            }
            catch (JsonException) { WriteStringValue(w, text); return; }
        }
        try { w.WriteRawValue(text, skipInputValidation: false); }
        catch (Exception e) when (e is JsonException or ArgumentException) { WriteStringValue(w, text); }
    }

    static void WritePayload(Utf8JsonWriter w, string name, Payload payload)
    {
        w.WritePropertyName(JsonText.Storable(name));
        WritePayloadValue(w, payload);
    }

    static void WritePayloadObject(Utf8JsonWriter w, string name, Map<string, Payload> map)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in map) WritePayload(w, key, value);
        w.WriteEndObject();
    }

    static void WriteMetadata(
        Utf8JsonWriter w, Map<string, Payload> user, Map<string, Payload> parameters, Seq<LogEntry> logs,
        ErrorInfo? error, bool errorMessageInMetadata, TraceId? parentTrace,
        SpanId? continuationSpan = null, SpanId? continuationParent = null)
    {
        var hasErrorKeys = error is not null && (errorMessageInMetadata || error.Type is not null || !error.Data.IsEmpty);
        if (user.IsEmpty && parameters.IsEmpty && logs.IsEmpty && !hasErrorKeys && parentTrace is null && continuationSpan is null) return;
        w.WriteStartObject("metadata");
        foreach (var (key, value) in user) WritePayload(w, key, value);
        if (!parameters.IsEmpty && !user.ContainsKey(ParamsKey)) WritePayloadObject(w, ParamsKey, parameters);
        if (!logs.IsEmpty && !user.ContainsKey(LogsKey))
        {
            w.WriteStartArray(LogsKey);
            foreach (var entry in logs)
            {
                if (entry is null) continue;
                w.WriteStartObject();
                w.WriteString("at", Timestamp(entry.At));
                WritePayload(w, "data", entry.Data ?? Payload.Null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (error is not null)
        {
            if (errorMessageInMetadata && !user.ContainsKey(ErrorKey)) WriteString(w, ErrorKey, error.Message ?? string.Empty);
            if (error.Type is { } type && !user.ContainsKey(ErrorTypeKey)) WriteString(w, ErrorTypeKey, type);
            if (!error.Data.IsEmpty && !user.ContainsKey(ErrorDataKey)) WritePayloadObject(w, ErrorDataKey, error.Data);
        }
        if (parentTrace is { } parent && !user.ContainsKey(ParentTraceKey)) w.WriteString(ParentTraceKey, parent.ToString());
        if (continuationSpan is { } cs && !user.ContainsKey(ContinuationSpanKey)) w.WriteString(ContinuationSpanKey, cs.ToString());
        if (continuationParent is { } cp && !user.ContainsKey(ContinuationParentKey)) w.WriteString(ContinuationParentKey, cp.ToString());
        w.WriteEndObject();
    }

    static void WriteOptionalString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) WriteString(w, name, value);
    }

    static void WriteString(Utf8JsonWriter w, string name, string value) => w.WriteString(name, JsonText.Storable(value ?? string.Empty));

    static void WriteStringValue(Utf8JsonWriter w, string value) => w.WriteStringValue(JsonText.Storable(value ?? string.Empty));

    static string Render(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    static byte[] RenderUtf8(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions)) write(w);
        return buffer.WrittenSpan.ToArray();
    }
}
