using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.ReferenceSystems;

/// <summary>Small builders of Model values for the reference-system tests.</summary>
static class RefData
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public static Span LlmSpan(TraceId trace, string model, long prompt, long completion, double startS = 0, double durS = 1,
        SpanStatus status = SpanStatus.Ok, Cost? cost = null, SpanId? parent = null, IEnumerable<(string, long)>? extra = null) => new()
    {
        Id = SpanId.New(),
        Trace = trace,
        Parent = parent is { } p ? p : null,
        Name = model,
        Kind = SpanType.Llm,
        Status = status,
        StartedAt = T0.AddSeconds(startS),
        EndedAt = T0.AddSeconds(startS + durS),
        Model = model,
        Tokens = TokenUsage.Of(prompt, completion, extra),
        Cost = cost is { } c ? c : null,
    };

    public static Span PlainSpan(TraceId trace, string name, SpanType kind = SpanType.Tool, SpanStatus status = SpanStatus.Ok,
        double startS = 0, double durS = 1, SpanId? parent = null) => new()
    {
        Id = SpanId.New(),
        Trace = trace,
        Parent = parent is { } p ? p : null,
        Name = name,
        Kind = kind,
        Status = status,
        StartedAt = T0.AddSeconds(startS),
        EndedAt = T0.AddSeconds(startS + durS),
    };

    public static TraceRecord Trace(string name, IEnumerable<Func<TraceId, Span>> spans, double startS = 0, double? durS = 1,
        TraceStatus status = TraceStatus.Completed, TraceId? parent = null, TraceId? id = null)
    {
        var tid = id ?? TraceId.New();
        return new TraceRecord
        {
            Id = tid,
            Name = name,
            Status = status,
            StartedAt = T0.AddSeconds(startS),
            EndedAt = durS is { } d ? T0.AddSeconds(startS + d) : null,
            ParentTrace = parent is { } p ? p : null,
            Spans = spans.Select(f => f(tid)).ToArray().ToSeq(),
        };
    }
}
