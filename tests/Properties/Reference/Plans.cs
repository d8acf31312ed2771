using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;

namespace PandaProbe.Properties.ReferenceSystems;

/// <summary>Interprets plans (arrays drawn from FsCheck's built-in arbitraries, so shrinking is free) as Model values.</summary>
static class Plans
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly string[] ModelNames = ["gpt-4o", "claude-3-5-sonnet", "mistral-small"];

    public static int Abs(int x) => x == int.MinValue ? int.MaxValue : Math.Abs(x);

    /// <summary>One span per element: status, model (or none), token counts and cost all derived from the number.</summary>
    public static Span SpanOf(TraceId trace, int x, int index)
    {
        var a = Abs(x);
        var model = (a / 3) % (ModelNames.Length + 1);
        return new Span
        {
            Id = SpanId.New(),
            Trace = trace,
            Name = $"s{index}",
            Kind = model == 0 ? SpanType.Tool : SpanType.Llm,
            Status = (SpanStatus)(a % 3),
            StartedAt = T0.AddSeconds(index),
            EndedAt = T0.AddSeconds(index + 1),
            Model = model == 0 ? null : ModelNames[model - 1],
            Tokens = a % 5 == 0 ? null : TokenUsage.Of(a % 1000, (a / 7) % 1000),
            Cost = a % 4 == 0 ? null : Cost.Of((a % 10_000) / 100.0),
        };
    }

    public static TraceRecord TraceOf(int[] spans, bool failed = false, TraceId? parent = null, TraceId? id = null)
    {
        var tid = id ?? TraceId.New();
        return new TraceRecord
        {
            Id = tid,
            Name = "t",
            Status = failed ? TraceStatus.Error : TraceStatus.Completed,
            StartedAt = T0,
            EndedAt = T0.AddSeconds(spans.Length + 1),
            ParentTrace = parent is { } p ? p : null,
            Spans = spans.Select((x, i) => SpanOf(tid, x, i)).ToArray().ToSeq(),
        };
    }
}
