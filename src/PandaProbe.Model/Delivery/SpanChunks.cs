namespace PandaProbe.Model.Delivery;

/// <summary>
/// A trace's spans split for delivery: the platform takes at most <see cref="Limits.MaxSpansPerRequest"/> spans per
/// request, and a request should carry at most <see cref="Limits.MaxRequestChars"/> characters of values, so the first
/// chunk goes with <c>POST /traces</c> and the rest follow through <c>POST /traces/{id}/spans</c>. A chunk ends when the
/// next span would pass either bound; a span larger than the size bound goes alone (none is dropped for its size). No
/// span is lost or repeated and the end order is kept.
/// </summary>
/// <param name="First">The spans sent with the trace (at most the limit; at least one when there are spans).</param>
/// <param name="Rest">The remaining spans, in chunks within both bounds (or of one span), none empty.</param>
internal sealed record SpanChunks(Seq<Span> First, Seq<Seq<Span>> Rest)
{
    /// <summary>
    /// Splits a trace's spans by count and by size; the first chunk's size counts the trace's own values, which go
    /// with it.
    /// </summary>
    /// <param name="trace">The trace.</param>
    public static SpanChunks Split(TraceRecord trace) =>
        Split(Chunk(trace.Spans, Limits.MaxSpansPerRequest, Limits.MaxRequestChars, SizeOf(trace)));

    /// <summary>
    /// Splits spans into a first chunk and following chunks of at most <paramref name="size"/> spans and
    /// <see cref="Limits.MaxRequestChars"/> characters.
    /// </summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The chunk size (values below 1 count as 1).</param>
    public static SpanChunks Split(IEnumerable<Span> spans, int size) => Split(spans, size, Limits.MaxRequestChars);

    /// <summary>Splits spans into a first chunk and following chunks within both bounds.</summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The most spans per chunk (values below 1 count as 1).</param>
    /// <param name="maxChars">The most characters per chunk (<see cref="SizeOf(Span)"/>); a larger span goes alone.</param>
    public static SpanChunks Split(IEnumerable<Span> spans, int size, long maxChars) => Split(Chunk(spans, size, maxChars));

    static SpanChunks Split(Seq<Seq<Span>> chunks) =>
        chunks.IsEmpty ? new SpanChunks(Seq<Span>(), Seq<Seq<Span>>()) : new SpanChunks(chunks.Head, chunks.Tail.Strict());

    /// <summary>
    /// Cuts spans into consecutive chunks of at most <paramref name="size"/> spans and
    /// <see cref="Limits.MaxRequestChars"/> characters, none empty (late spans: one add-spans request per chunk).
    /// </summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The chunk size (values below 1 count as 1).</param>
    public static Seq<Seq<Span>> Chunk(IEnumerable<Span> spans, int size) => Chunk(spans, size, Limits.MaxRequestChars);

    /// <summary>Cuts spans into consecutive chunks within both bounds, none empty; a span larger than <paramref name="maxChars"/> goes alone.</summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The most spans per chunk (values below 1 count as 1).</param>
    /// <param name="maxChars">The most characters per chunk (<see cref="SizeOf(Span)"/>).</param>
    public static Seq<Seq<Span>> Chunk(IEnumerable<Span> spans, int size, long maxChars) => Chunk(spans, size, maxChars, 0);

    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The most spans per chunk.</param>
    /// <param name="maxChars">The most characters per chunk.</param>
    /// <param name="firstUsed">The characters the first chunk carries besides its spans (the trace's own values).</param>
    static Seq<Seq<Span>> Chunk(IEnumerable<Span> spans, int size, long maxChars, long firstUsed)
    {
        size = Math.Max(1, size);
        var chunks = new List<Seq<Span>>();
        var current = new List<Span>();
        var used = firstUsed;
        foreach (var span in spans)
        {
            var chars = SizeOf(span);
            // A span joins the chunk unless the chunk has spans and it would pass a bound: a chunk is never empty, and a
            // span larger than the bound goes alone.
            if (current.Count > 0 && (current.Count >= size || used + chars > maxChars))
            {
                chunks.Add(current.ToSeq().Strict());
                current = [];
                used = 0;
            }
            current.Add(span);
            used += chars;
        }
        if (current.Count > 0) chunks.Add(current.ToSeq().Strict());
        return chunks.ToSeq().Strict();
    }

    /// <summary>
    /// A span's estimated share of a request, in characters: its input, output, metadata, parameters, model parameters
    /// and log data, plus <see cref="Limits.RequestOverheadPerSpan"/> for the rest.
    /// </summary>
    /// <param name="span">The span.</param>
    public static long SizeOf(Span span) =>
        Limits.RequestOverheadPerSpan + Len(span.Input) + Len(span.Output) + Sum(span.Metadata) + Sum(span.Params)
        + (span.ModelParameters is { } parameters ? Sum(parameters) : 0) + Sum(span.Logs);

    /// <summary>A trace's own values (input, output, metadata, parameters, logs), in characters, without its spans.</summary>
    /// <param name="trace">The trace.</param>
    public static long SizeOf(TraceRecord trace) =>
        Len(trace.Input) + Len(trace.Output) + Sum(trace.Metadata) + Sum(trace.Params) + Sum(trace.Logs);

    static long Len(Payload? p) => p is null ? 0 : p.Length;

    static long Sum(Map<string, Payload> values) =>
        values.IsEmpty ? 0 : values.Fold(0L, static (sum, p) => sum + (p is null ? 0 : p.Length));

    static long Sum(Seq<LogEntry> logs)
    {
        long sum = 0;
        for (var i = 0; i < logs.Count; i++) sum += Len(logs[i]?.Data) + 64;   // its time and the entry's braces
        return sum;
    }

    /// <summary>The number of spans in all chunks.</summary>
    public int Count => First.Count + Rest.Sum(c => c.Count);
}
