using System.Diagnostics;
using System.Globalization;

namespace PandaProbe.Model;

/// <summary>
/// The mapping between W3C trace context ids and PandaProbe's UUIDs, and PandaProbe's entry in <c>tracestate</c>.
/// Deterministic, so that two processes agree on ids without talking to each other:
/// <list type="bullet">
/// <item>A trace's UUID and its W3C trace id are the same 16 bytes: the UUID's 32 hex digits, in order, are the trace
/// id (<c>4bf92f35-77b3-4da6-a3ce-929d0e0e4736</c> is <c>4bf92f3577b34da6a3ce929d0e0e4736</c>).</item>
/// <item>A span's UUID is its 8-byte W3C span id followed by the last 8 bytes of its trace's UUID: the span id is the
/// UUID's first 16 hex digits, and the UUID is globally unique as long as span ids are unique within their trace.</item>
/// <item>PandaProbe's <c>tracestate</c> entry names the platform trace and the calling span:
/// <c>pandaprobe=&lt;32 hex digits&gt;</c> at the trace level, <c>pandaprobe=&lt;32 hex digits&gt;-&lt;16 hex digits&gt;</c>
/// inside a span. A process that receives it continues that trace instead of starting its own.</item>
/// </list>
/// </summary>
internal static class Propagation
{
    /// <summary>The <c>tracestate</c> key of PandaProbe's entry.</summary>
    public const string StateKey = "pandaprobe";

    /// <summary>The trace id whose 16 bytes are the W3C trace id's.</summary>
    public static TraceId TraceFrom(ActivityTraceId w3c)
    {
        Span<byte> bytes = stackalloc byte[16];
        w3c.CopyTo(bytes);
        return new TraceId(new Guid(bytes, bigEndian: true));
    }

    /// <summary>The W3C trace id with the trace id's 16 bytes.</summary>
    public static ActivityTraceId ToW3C(TraceId trace)
    {
        Span<byte> bytes = stackalloc byte[16];
        trace.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        return ActivityTraceId.CreateFromBytes(bytes);
    }

    /// <summary>The span id of a W3C span id in <paramref name="trace"/>: the 8 bytes, then the trace's last 8.</summary>
    public static SpanId SpanFrom(ActivitySpanId w3c, TraceId trace)
    {
        Span<byte> bytes = stackalloc byte[16];
        trace.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        w3c.CopyTo(bytes[..8]);
        return new SpanId(new Guid(bytes, bigEndian: true));
    }

    /// <summary>The W3C span id of a span id: its first 8 bytes.</summary>
    public static ActivitySpanId ToW3C(SpanId span)
    {
        Span<byte> bytes = stackalloc byte[16];
        span.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        return ActivitySpanId.CreateFromBytes(bytes[..8]);
    }

    /// <summary>A fresh span id of <paramref name="trace"/>: 8 random bytes (never all zero), then the trace's last 8.</summary>
    public static SpanId NewSpan(TraceId trace)
    {
        Span<byte> bytes = stackalloc byte[16];
        trace.Value.TryWriteBytes(bytes, bigEndian: true, out _);
        do Random.Shared.NextBytes(bytes[..8]);
        while (BitConverter.ToUInt64(bytes[..8]) == 0);
        return new SpanId(new Guid(bytes, bigEndian: true));
    }

    /// <summary>The <c>traceparent</c> header of a W3C context.</summary>
    public static string TraceParent(ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";

    /// <summary>PandaProbe's <c>tracestate</c> entry (<c>pandaprobe=…</c>) for a trace, and the calling span when given.</summary>
    public static string StateEntry(TraceId trace, SpanId? span) =>
        span is { } s
            ? $"{StateKey}={ToW3C(trace).ToHexString()}-{ToW3C(s).ToHexString()}"
            : $"{StateKey}={ToW3C(trace).ToHexString()}";

    /// <summary>
    /// <paramref name="existing"/> with PandaProbe's entry replaced by <paramref name="entry"/> (first, as W3C asks
    /// of an updated entry); other vendors' entries kept in order, at most 32 in all.
    /// </summary>
    public static string WithEntry(string? existing, string entry)
    {
        if (string.IsNullOrWhiteSpace(existing)) return entry;
        var parts = new List<string>(4) { entry };
        foreach (var raw in existing.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0 || IsOurs(part)) continue;
            if (parts.Count == 32) break;
            parts.Add(part);
        }
        return string.Join(',', parts);
    }

    static bool IsOurs(string member) =>
        member.StartsWith(StateKey, StringComparison.Ordinal) && member.AsSpan(StateKey.Length).TrimStart().StartsWith("=");

    /// <summary>
    /// Reads PandaProbe's entry from a <c>tracestate</c> value: the trace to continue and the calling span (null at the
    /// trace level). None when there is no well-formed entry.
    /// </summary>
    public static bool TryRead(string? traceState, out TraceId trace, out SpanId? span)
    {
        trace = default;
        span = null;
        if (string.IsNullOrEmpty(traceState) || !traceState.Contains(StateKey, StringComparison.Ordinal)) return false;
        foreach (var raw in traceState.Split(','))
        {
            var member = raw.Trim();
            if (!IsOurs(member)) continue;
            var value = member[(member.IndexOf('=') + 1)..].Trim();
            if (value.Length is not (32 or 49)) return false;
            if (!TryHex(value.AsSpan(0, 32), 16, out var traceBytes)) return false;
            var id = new TraceId(new Guid(traceBytes, bigEndian: true));
            if (id.Value == Guid.Empty) return false;
            if (value.Length == 49)
            {
                if (value[32] != '-' || !TryHex(value.AsSpan(33, 16), 8, out var spanBytes)) return false;
                var w3c = ActivitySpanId.CreateFromBytes(spanBytes);
                if (w3c == default) return false;
                span = SpanFrom(w3c, id);
            }
            trace = id;
            return true;
        }
        return false;
    }

    static bool TryHex(ReadOnlySpan<char> hex, int length, out byte[] bytes)
    {
        bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            if (!byte.TryParse(hex.Slice(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b)) return false;
            if (char.IsUpper(hex[2 * i]) || char.IsUpper(hex[2 * i + 1])) return false;   // W3C: lower-case hex only
            bytes[i] = b;
        }
        return true;
    }
}

/// <summary>
/// A trace's links to other traces, in one reference so that a trace with none pays one null field for them: the trace
/// open in this process when it started (<see cref="ParentTrace"/>), and, when it continues another process's trace,
/// the span standing for it there (<see cref="Span"/>; <c>default</c> when it continues none) and the calling span
/// upstream (<see cref="Parent"/>).
/// </summary>
internal sealed record TraceLinks(TraceId? ParentTrace, SpanId Span, SpanId? Parent)
{
    /// <summary>The links of a trace that continues another process's trace under <paramref name="parent"/>.</summary>
    public static TraceLinks Continuing(TraceId? parentTrace, SpanId span, SpanId? parent) => new(parentTrace, span, parent);

    /// <summary><paramref name="links"/> with another parent trace; <c>null</c> when nothing is left.</summary>
    public static TraceLinks? WithParentTrace(TraceLinks? links, TraceId? parentTrace) =>
        links is null ? parentTrace is null ? null : new TraceLinks(parentTrace, default, null)
            : Normal(links with { ParentTrace = parentTrace });

    /// <summary>
    /// <paramref name="links"/> with another continuation span; <c>null</c> ends the continuation (its calling span
    /// too). <c>null</c> when nothing is left.
    /// </summary>
    public static TraceLinks? WithSpan(TraceLinks? links, SpanId? span)
    {
        if (span is null && (links is null || links.Span == default && links.Parent is null)) return links;   // nothing to clear
        return Normal(new TraceLinks(links?.ParentTrace, span ?? default, span is null ? null : links?.Parent));
    }

    /// <summary><paramref name="links"/> with another calling span upstream; <c>null</c> when nothing is left.</summary>
    public static TraceLinks? WithParent(TraceLinks? links, SpanId? parent) =>
        links is null ? parent is null ? null : new TraceLinks(null, default, parent)
            : links.Parent == parent ? links : Normal(links with { Parent = parent });

    /// <summary>The continuation span, when the trace continues another process's trace.</summary>
    public SpanId? ContinuationSpan => Span != default ? Span : null;

    static TraceLinks? Normal(TraceLinks links) =>
        links.ParentTrace is null && links.Span == default && links.Parent is null ? null : links;
}
