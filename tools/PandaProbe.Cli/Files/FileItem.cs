using PandaProbe.Model;

namespace PandaProbe.Cli.Files;

/// <summary>One record read from a trace file, with the (1-based) line it started on.</summary>
internal abstract record FileItem(long Line);

/// <summary>A completed trace (the file exporter's trace line, or a <c>TraceRecord.Save</c> file's spans and trace line).</summary>
internal sealed record TraceItem(long Line, TraceRecord Trace) : FileItem(Line);

/// <summary>Spans that ended after their trace was written (<c>{"record":"spans",…}</c>).</summary>
internal sealed record LateSpansItem(long Line, TraceId Trace, IReadOnlyList<Span> Spans) : FileItem(Line);

/// <summary>A score (<c>{"record":"score",…}</c>).</summary>
internal sealed record ScoreItem(long Line, Score Score) : FileItem(Line);

/// <summary>A line that is not a record: its reason, and whether it is an unterminated last line (a file still being written).</summary>
internal sealed record BadLine(long Line, string Reason, bool Truncated) : FileItem(Line);
