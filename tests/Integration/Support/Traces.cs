using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;

namespace PandaProbe.Integration.Support;

/// <summary>Builders of model values for the tests.</summary>
public static class Traces
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A completed trace with <paramref name="spans"/> ended spans.</summary>
    public static TraceRecord With(int spans, string name = "agent-run")
    {
        var id = TraceId.New();
        return new TraceRecord
        {
            Id = id, Name = name, Status = TraceStatus.Completed, StartedAt = Start, EndedAt = Start.AddSeconds(2),
            Input = Payload.Json("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
            Spans = Enumerable.Range(0, spans).Select(i => SpanOf(id, i)).ToArray().ToSeq(),
        };
    }

    /// <summary>An ended span of <paramref name="trace"/>.</summary>
    public static Span SpanOf(TraceId trace, int i) => new()
    {
        Id = SpanId.New(), Trace = trace, Name = $"step-{i}", Kind = SpanType.Tool, Status = SpanStatus.Ok,
        StartedAt = Start.AddMilliseconds(i), EndedAt = Start.AddMilliseconds(i + 1),
    };

    /// <summary>A score of <paramref name="trace"/>.</summary>
    public static Score ScoreOf(TraceId trace, string value = "0.9", ScoreDataType type = ScoreDataType.Numeric) =>
        new(trace, "quality", value, type, "looks right", Map<string, Payload>());
}
