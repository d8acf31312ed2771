using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Delivery;

/// <summary>
/// Requests are split by their estimated size as well as by their number of spans (<see cref="Limits.MaxRequestChars"/>);
/// a span larger than the bound goes alone, and none is dropped, repeated or moved.
/// </summary>
public class SpanChunksBySizeTests
{
    const int MiB = 1 << 20;
    static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch;

    static Span SpanOf(TraceId trace, int inputChars, int i = 0) => new()
    {
        Id = SpanId.New(), Trace = trace, Name = $"s{i}", StartedAt = T0, EndedAt = T0,
        Input = inputChars == 0 ? null : Payload.Text(new string('x', inputChars)),
    };

    static TraceRecord TraceOf(Payload? input, params int[] spanChars)
    {
        var id = TraceId.New();
        return new TraceRecord
        {
            Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Input = input,
            Spans = spanChars.Select((chars, i) => SpanOf(id, chars, i)).ToSeq().Strict(),
        };
    }

    static Span[] Flat(SpanChunks chunks) => [.. chunks.First, .. chunks.Rest.Bind(c => c)];

    [Fact]
    public void Ten_spans_of_1_MiB_go_in_three_or_more_requests_none_lost_repeated_or_moved()
    {
        var trace = TraceOf(null, Enumerable.Repeat(MiB, 10).ToArray());

        var chunks = SpanChunks.Split(trace);

        Assert.True(1 + chunks.Rest.Count >= 3, $"{1 + chunks.Rest.Count} requests");
        Assert.Equal(trace.Spans.Select(s => s.Id), Flat(chunks).Select(s => s.Id));
        Assert.Equal(10, chunks.Count);
        foreach (var chunk in chunks.Rest.Add(chunks.First))
            Assert.True(chunk.Count == 1 || chunk.Sum(SpanChunks.SizeOf) <= Limits.MaxRequestChars, $"{chunk.Sum(SpanChunks.SizeOf)} characters");
        Assert.Equal([3, 3, 3, 1], new[] { chunks.First }.Concat(chunks.Rest).Select(c => c.Count));
    }

    [Fact]
    public void A_10_MiB_span_goes_alone_and_is_never_dropped()
    {
        var trace = TraceOf(null, 100, 10 * MiB, 100, 100);
        var chunks = SpanChunks.Split(trace);

        Assert.Equal([1, 1, 2], new[] { chunks.First }.Concat(chunks.Rest).Select(c => c.Count));
        Assert.Equal(trace.Spans[1].Id, Assert.Single(chunks.Rest[0]).Id);
        Assert.Equal(trace.Spans.Select(s => s.Id), Flat(chunks).Select(s => s.Id));

        var alone = SpanChunks.Split(TraceOf(null, 10 * MiB));
        Assert.Single(alone.First);
        Assert.True(alone.Rest.IsEmpty);
    }

    [Fact]
    public void The_first_request_counts_the_traces_own_values_but_always_carries_a_span()
    {
        var chunks = SpanChunks.Split(TraceOf(Payload.Text(new string('t', 3 * MiB + MiB / 2)), MiB, MiB, MiB));
        Assert.Single(chunks.First);
        Assert.Equal(new[] { 2 }, chunks.Rest.Map(c => c.Count).ToArray());
    }

    [Fact]
    public void Small_spans_are_still_split_by_count()
    {
        var chunks = SpanChunks.Split(TraceOf(null, Enumerable.Repeat(10, 1200).ToArray()));
        Assert.Equal(500, chunks.First.Count);
        Assert.Equal(new[] { 500, 200 }, chunks.Rest.Map(c => c.Count).ToArray());
    }

    [Fact]
    public void Late_spans_are_chunked_by_size_too()
    {
        var id = TraceId.New();
        var spans = Enumerable.Range(0, 9).Select(i => SpanOf(id, MiB + MiB / 2, i)).ToArray();

        var chunks = SpanChunks.Chunk(spans, Limits.MaxSpansPerRequest);

        Assert.Equal(Enumerable.Repeat(2, 4).Append(1), chunks.Map(c => c.Count).ToArray());
        Assert.Equal(spans.Select(s => s.Id), chunks.Bind(c => c).Select(s => s.Id));
        var bySmallBound = SpanChunks.Chunk(spans, Limits.MaxSpansPerRequest, maxChars: 1000);
        Assert.Equal(9, bySmallBound.Count);
    }

    [Fact]
    public void A_span_size_counts_its_values_and_a_fixed_overhead()
    {
        var span = SpanOf(TraceId.New(), 1000) with
        {
            Output = Payload.Json("[1,2,3]"),
            Metadata = Map(("a", Payload.Text("12345"))),
            Params = Map(("p", Payload.Json("true"))),
        };
        Assert.Equal(Limits.RequestOverheadPerSpan + 1000 + 7 + 5 + 4, SpanChunks.SizeOf(span));
    }
}
