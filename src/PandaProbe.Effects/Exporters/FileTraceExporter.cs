using System.Buffers;
using System.Text.Json;
using PandaProbe.Serialization;

namespace PandaProbe.Exporters;

/// <summary>
/// Appends every export to a JSON Lines file (UTF-8 without BOM, <c>\n</c> line ends), one record per line:
/// <list type="bullet">
/// <item>a completed trace: exactly its platform body (<see cref="WireJson.Trace(TraceRecord)"/>);</item>
/// <item>late spans of one trace: <c>{"record":"spans","trace_id":"…","spans":[…]}</c>;</item>
/// <item>a score: <c>{"record":"score",…the score body's fields…}</c>.</item>
/// </list>
/// The file is opened in append mode for each export and closed again, so several processes or exporters may
/// append to one file and the lines can be replayed later with <see cref="WireReader"/>. Never throws: I/O errors
/// become a failed <see cref="ExportResult"/>.
/// </summary>
public sealed class FileTraceExporter : ITraceExporter
{
    /// <summary>The file written when no path is configured.</summary>
    public const string DefaultPath = "pandaprobe-traces.jsonl";

    /// <summary>Creates an exporter appending to <paramref name="path"/> (its directory is created when needed).</summary>
    /// <param name="path">The JSON Lines file; <c>null</c> or blank means <see cref="DefaultPath"/>.</param>
    public FileTraceExporter(string? path = null)
    {
        Path = string.IsNullOrWhiteSpace(path) ? DefaultPath : path;
    }

    /// <summary>The file the exporter appends to.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Name => "file";

    /// <inheritdoc />
    public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        if (batch is null || batch.Count == 0) return ExportResult.Success(0);
        byte[] bytes;
        int written, failed;
        string? error;
        try
        {
            (bytes, written, failed, error) = Encode(batch);
        }
        catch (Exception ex)
        {
            return ExportResult.Failure(batch.Count, $"could not serialize the batch: {ex.Message}");
        }
        if (written == 0) return new ExportResult(0, failed, error);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            if (cancellationToken.IsCancellationRequested)
                return ExportResult.Failure(batch.Count, "the export was cancelled before writing");
            await using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite,
                bufferSize: 1, useAsync: true);
            // Not cancellable once started: a half-written line would corrupt the file for every reader.
            await stream.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
            await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return new ExportResult(written, failed, error);
        }
        catch (Exception ex)
        {
            return ExportResult.Failure(batch.Count, $"could not append to '{Path}': {ex.Message}");
        }
    }

    /// <summary>Encodes a batch as JSON Lines; an item that cannot be written is counted and skipped.</summary>
    static (byte[] Bytes, int Written, int Failed, string? Error) Encode(ExportBatch batch)
    {
        var output = new ArrayBufferWriter<byte>(4096);
        int written = 0, failed = 0;
        string? error = null;

        void Line(Action<Utf8JsonWriter> write, int items)
        {
            var line = new ArrayBufferWriter<byte>(1024);
            try
            {
                using (var w = new Utf8JsonWriter(line, WireJson.WriterOptions)) write(w);
                output.Write(line.WrittenSpan);
                output.Write("\n"u8);
                written += items;
            }
            catch (Exception ex)
            {
                failed += items;
                error ??= ex.Message;
            }
        }

        foreach (var trace in batch.Traces)
            if (trace is not null) Line(w => WireJson.WriteTrace(w, trace), 1);

        foreach (var group in batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace))
        {
            var spans = group.ToArray();
            Line(w =>
            {
                w.WriteStartObject();
                w.WriteString("record", "spans");
                w.WriteString("trace_id", group.Key.ToString());
                w.WritePropertyName("spans");
                WireJson.WriteSpans(w, spans);
                w.WriteEndObject();
            }, spans.Length);
        }

        foreach (var score in batch.Scores)
        {
            if (score is null) continue;
            Line(w =>
            {
                w.WriteStartObject();
                w.WriteString("record", "score");
                WireJson.WriteScoreFields(w, score);
                w.WriteEndObject();
            }, 1);
        }
        return (output.WrittenSpan.ToArray(), written, failed, error);
    }
}
