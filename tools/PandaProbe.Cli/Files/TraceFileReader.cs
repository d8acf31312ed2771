using System.Text;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Serialization;

namespace PandaProbe.Cli.Files;

/// <summary>
/// Reads the files the SDK writes, one line at a time, so a file of any size streams through in bounded memory:
/// the file exporter's JSON Lines (a trace body per line, <c>{"record":"spans"}</c> and <c>{"record":"score"}</c>
/// lines) and <c>TraceRecord.Save</c>'s NDJSON (span bodies, then the trace body without its spans). A line that is not a
/// record becomes a <see cref="BadLine"/> with its line number and the reason, and reading goes on; an unterminated
/// last line that does not parse is reported as truncated (the SDK may still be writing it).
/// </summary>
internal static class TraceFileReader
{
    /// <summary>The records of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IEnumerable<FileItem> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No such file: {path}", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            1 << 16, FileOptions.SequentialScan);
        var endsWithNewline = EndsWithNewline(stream);
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, 1 << 16);
        foreach (var item in Read(reader, endsWithNewline)) yield return item;
    }

    /// <summary>The records of the lines <paramref name="reader"/> gives.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="lastLineComplete"><c>false</c> when the text does not end with a line break.</param>
    public static IEnumerable<FileItem> Read(TextReader reader, bool lastLineComplete = true)
    {
        var pendingSpans = new List<(long Line, string Json)>();   // a Save file's span lines, waiting for their trace
        long number = 0;
        string? line = reader.ReadLine();
        while (line is not null)
        {
            number++;
            var next = reader.ReadLine();
            var last = next is null;
            if (!string.IsNullOrWhiteSpace(line))
            {
                var item = Parse(line, number, pendingSpans);
                if (item is BadLine bad && last && !lastLineComplete)
                    item = bad with { Truncated = true, Reason = "truncated last line (the file may still be being written): " + bad.Reason };
                if (item is not null) yield return item;
            }
            line = next;
        }
        foreach (var (spanLine, _) in pendingSpans)
            yield return new BadLine(spanLine, "a span line with no trace line after it", false);
    }

    static FileItem? Parse(string line, long number, List<(long Line, string Json)> pendingSpans)
    {
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 256 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new BadLine(number, $"expected a JSON object, found {root.ValueKind}", false);
            if (root.TryGetProperty("record", out var record))
            {
                var kind = record.ValueKind == JsonValueKind.String ? record.GetString() : null;
                switch (kind)
                {
                    case "spans":
                        var traceId = root.TryGetProperty("trace_id", out var t) && t.ValueKind == JsonValueKind.String && Guid.TryParse(t.GetString(), out var g)
                            ? new TraceId(g)
                            : throw new FormatException("spans.trace_id: a UUID is required");
                        if (!root.TryGetProperty("spans", out var spans) || spans.ValueKind != JsonValueKind.Array)
                            throw new FormatException("spans.spans: an array is required");
                        return new LateSpansItem(number, traceId, spans.EnumerateArray().Select(s => WireReader.ReadSpan(s, traceId)).ToArray());
                    case "score":
                        return new ScoreItem(number, WireReader.ReadScore(root));
                    default:
                        return new BadLine(number, $"unknown record type '{kind}'", false);
                }
            }
            if (root.TryGetProperty("span_id", out _) && !root.TryGetProperty("trace_id", out _))
            {
                pendingSpans.Add((number, line));   // a Save file: the span lines come before their trace line
                return null;
            }
            if (!root.TryGetProperty("trace_id", out _) || !root.TryGetProperty("started_at", out _))
                return new BadLine(number, "not a trace, spans or score record (no trace_id and started_at)", false);
            var trace = WireReader.ReadTrace(root);
            if (pendingSpans.Count > 0)
            {
                var saved = pendingSpans.Select(p =>
                {
                    using var spanDoc = JsonDocument.Parse(p.Json);
                    return WireReader.ReadSpan(spanDoc.RootElement, trace.Id);
                }).ToArray();
                pendingSpans.Clear();
                trace = trace with { Spans = trace.Spans.Concat(saved).ToSeq().Strict() };
            }
            return new TraceItem(number, trace);
        }
        catch (JsonException ex) { return new BadLine(number, "not valid JSON: " + ex.Message, false); }
        catch (FormatException ex) { return new BadLine(number, ex.Message, false); }
    }

    static bool EndsWithNewline(FileStream stream)
    {
        if (stream.Length == 0) return true;
        stream.Seek(-1, SeekOrigin.End);
        var last = stream.ReadByte();
        stream.Seek(0, SeekOrigin.Begin);
        return last == '\n';
    }
}
