using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Cli.View;

/// <summary>
/// The <c>view</c> report: one self-contained HTML page (inline CSS and JS from the embedded <c>report.html</c>) with
/// the traces embedded as a compact JSON model in a <c>&lt;script type="application/json"&gt;</c> element. Times are
/// milliseconds relative to each trace's start; every payload is JSON text capped at <see cref="PayloadCap"/>
/// characters (a cut value carries a marker and is shown as text).
/// </summary>
internal static class HtmlReport
{
    /// <summary>The most characters of one payload value (input, output, metadata, model parameters) the page carries.</summary>
    public const int PayloadCap = 64 * 1024;

    /// <summary>The marker after a cut payload.</summary>
    public const string CutMarker = "… [truncated by pandaprobe view]";

    const string Placeholder = "/*PANDAPROBE_DATA*/";

    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>Writes the report for <paramref name="traces"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<TraceRecord> traces, IReadOnlyList<string> sources)
    {
        var (head, tail) = Template();
        var json = Model(traces, sources);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            file.Write(head);
            WriteEscaped(file, json);
            file.Write(tail);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The page's JSON model (UTF-8, before the <c>&lt;</c> escaping).</summary>
    public static ReadOnlyMemory<byte> Model(IReadOnlyList<TraceRecord> traces, IReadOnlyList<string> sources)
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        using var w = new Utf8JsonWriter(buffer, Options);
        w.WriteStartObject();
        w.WriteString("generated", WireJson.Timestamp(DateTimeOffset.UtcNow));
        w.WriteStartArray("files");
        foreach (var s in sources) w.WriteStringValue(s);
        w.WriteEndArray();
        w.WriteStartArray("traces");
        foreach (var trace in traces) WriteTrace(w, trace);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenMemory;
    }

    static void WriteTrace(Utf8JsonWriter w, TraceRecord t)
    {
        w.WriteStartObject();
        w.WriteString("id", t.Id.ToString());
        w.WriteString("name", t.Name);
        w.WriteString("status", WireJson.Name(t.Status));
        w.WriteNumber("start", t.StartedAt.ToUnixTimeMilliseconds());
        if (t.Duration is { } d) w.WriteNumber("dur", Ms(d));
        Str(w, "session", t.SessionId);
        Str(w, "user", t.UserId);
        Str(w, "env", t.Environment);
        Str(w, "release", t.Release);
        if (t.ParentTrace is { } parentTrace) w.WriteString("parentTrace", parentTrace.ToString());
        if (t.ContinuationSpan is { } continuation) w.WriteString("continuation", continuation.ToString());
        if (!t.Tags.IsEmpty)
        {
            w.WriteStartArray("tags");
            foreach (var tag in t.Tags) w.WriteStringValue(tag ?? string.Empty);
            w.WriteEndArray();
        }
        Payload(w, "input", t.Input);
        Payload(w, "output", t.Output);
        Map(w, "metadata", t.Metadata);
        Error(w, t.Error);

        long tokens = 0;
        double cost = 0;
        var hasCost = false;
        var errors = 0;
        var perModel = new Dictionary<string, (long Prompt, long Completion, long Total, double Cost, int Calls)>(StringComparer.Ordinal);
        w.WriteStartArray("spans");
        foreach (var s in t.Spans)
        {
            WriteSpan(w, s, t.StartedAt);
            var total = s.Tokens?.Total ?? 0;
            tokens += total;
            if (s.Cost is { } c) { cost += c.Total; hasCost = true; }
            if (s.Status == SpanStatus.Error || s.Error is not null) errors++;
            if (s.Model is { } model)
            {
                perModel.TryGetValue(model, out var u);
                perModel[model] = (u.Prompt + (s.Tokens?.Prompt ?? 0), u.Completion + (s.Tokens?.Completion ?? 0), u.Total + total,
                    u.Cost + (s.Cost?.Total ?? 0), u.Calls + 1);
            }
        }
        w.WriteEndArray();
        w.WriteNumber("tokens", tokens);
        if (hasCost) w.WriteNumber("cost", cost);
        w.WriteNumber("errors", errors);
        w.WriteStartArray("models");
        foreach (var (model, u) in perModel)
        {
            w.WriteStartArray();
            w.WriteStringValue(model);
            w.WriteNumberValue(u.Prompt);
            w.WriteNumberValue(u.Completion);
            w.WriteNumberValue(u.Total);
            w.WriteNumberValue(u.Cost);
            w.WriteNumberValue(u.Calls);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void WriteSpan(Utf8JsonWriter w, Span s, DateTimeOffset traceStart)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id.ToString());
        if (s.Parent is { } parent) w.WriteString("parent", parent.ToString());
        w.WriteString("name", s.Name);
        w.WriteString("kind", WireJson.Name(s.Kind));
        w.WriteString("status", WireJson.Name(s.Status));
        w.WriteNumber("start", Ms(s.StartedAt - traceStart));
        if (s.Duration is { } d) w.WriteNumber("dur", Ms(d));
        Str(w, "model", s.Model);
        if (s.CompletionStartTime is { } first) w.WriteNumber("ttft", Ms(first - s.StartedAt));
        if (s.Tokens is { } tokens)
        {
            w.WriteStartObject("tokens");
            foreach (var (key, count) in tokens.Counts) w.WriteNumber(key, count);
            w.WriteEndObject();
        }
        if (s.Cost is { } cost)
        {
            w.WriteStartObject("cost");
            foreach (var (key, value) in cost.Components)
                if (double.IsFinite(value)) w.WriteNumber(key, value);
            w.WriteEndObject();
        }
        if (s.ModelParameters is { } parameters) Map(w, "params", parameters);
        Payload(w, "input", s.Input);
        Payload(w, "output", s.Output);
        Map(w, "metadata", s.Metadata);
        Error(w, s.Error);
        w.WriteEndObject();
    }

    static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);

    static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    static void Error(Utf8JsonWriter w, ErrorInfo? error)
    {
        if (error is null) return;
        w.WriteStartObject("error");
        w.WriteString("message", error.Message);
        Str(w, "type", error.Type);
        w.WriteEndObject();
    }

    static void Payload(Utf8JsonWriter w, string name, Payload? payload)
    {
        if (payload is not null) Capped(w, name, payload.ToJson());
    }

    static void Map(Utf8JsonWriter w, string name, Map<string, Payload> map)
    {
        if (map.IsEmpty) return;
        var buffer = new ArrayBufferWriter<byte>();
        using (var inner = new Utf8JsonWriter(buffer, Options))
        {
            inner.WriteStartObject();
            foreach (var (key, value) in map)
            {
                inner.WritePropertyName(key);
                WireJson.WritePayloadValue(inner, value);
            }
            inner.WriteEndObject();
        }
        Capped(w, name, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>A JSON text as a string property, cut at <see cref="PayloadCap"/> with <see cref="CutMarker"/> after it.</summary>
    static void Capped(Utf8JsonWriter w, string name, string json)
    {
        if (json.Length <= PayloadCap) { w.WriteString(name, json); return; }
        var cut = PayloadCap;
        if (char.IsHighSurrogate(json[cut - 1])) cut--;
        w.WriteString(name, string.Concat(json.AsSpan(0, cut), CutMarker));
        w.WriteBoolean(name + "Cut", true);
    }

    /// <summary>
    /// Writes the model with every <c>&lt;</c> as <c>\u003c</c> (it only occurs inside JSON strings), so no text can
    /// close the script element or open a comment in it.
    /// </summary>
    static void WriteEscaped(Stream stream, ReadOnlyMemory<byte> json)
    {
        ReadOnlySpan<byte> escape = "\\u003c"u8;
        var span = json.Span;
        while (span.Length > 0)
        {
            var at = span.IndexOf((byte)'<');
            if (at < 0) { stream.Write(span); break; }
            stream.Write(span[..at]);
            stream.Write(escape);
            span = span[(at + 1)..];
        }
    }

    static (byte[] Head, byte[] Tail) Template()
    {
        using var resource = typeof(HtmlReport).Assembly.GetManifestResourceStream("PandaProbe.Cli.View.report.html")
            ?? throw new InvalidOperationException("the report template is missing from the tool");
        using var reader = new StreamReader(resource);
        var text = reader.ReadToEnd();
        var at = text.IndexOf(Placeholder, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException("the report template has no data placeholder");
        return (System.Text.Encoding.UTF8.GetBytes(text[..at]), System.Text.Encoding.UTF8.GetBytes(text[(at + Placeholder.Length)..]));
    }
}
