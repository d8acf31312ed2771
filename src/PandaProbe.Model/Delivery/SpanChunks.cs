namespace PandaProbe.Model.Delivery;

/// <summary>
/// A trace's spans split for delivery: the platform takes at most <see cref="Limits.MaxSpansPerRequest"/> spans per
/// request, so the first chunk goes with <c>POST /traces</c> and the rest follow through
/// <c>POST /traces/{id}/spans</c>. No span is lost or repeated and the end order is kept.
/// </summary>
/// <param name="First">The spans sent with the trace (at most the limit).</param>
/// <param name="Rest">The remaining spans, in chunks of at most the limit, none empty.</param>
internal sealed record SpanChunks(Seq<Span> First, Seq<Seq<Span>> Rest)
{
    /// <summary>Splits a trace's spans.</summary>
    /// <param name="trace">The trace.</param>
    public static SpanChunks Split(Trace trace) => Split(trace.Spans, Limits.MaxSpansPerRequest);

    /// <summary>Splits spans into a first chunk and following chunks of at most <paramref name="size"/>.</summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The chunk size (values below 1 count as 1).</param>
    public static SpanChunks Split(IEnumerable<Span> spans, int size)
    {
        var chunks = Chunk(spans, size);
        return chunks.IsEmpty ? new SpanChunks(Seq<Span>(), Seq<Seq<Span>>()) : new SpanChunks(chunks.Head, chunks.Tail.Strict());
    }

    /// <summary>Cuts spans into consecutive chunks of at most <paramref name="size"/>, none empty.</summary>
    /// <param name="spans">The spans, in order.</param>
    /// <param name="size">The chunk size (values below 1 count as 1).</param>
    public static Seq<Seq<Span>> Chunk(IEnumerable<Span> spans, int size) =>
        spans.Chunk(Math.Max(1, size)).Select(c => c.ToSeq().Strict()).ToArray().ToSeq().Strict();

    /// <summary>The number of spans in all chunks.</summary>
    public int Count => First.Count + Rest.Sum(c => c.Count);
}
