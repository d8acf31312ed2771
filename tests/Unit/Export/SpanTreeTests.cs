using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model;
using Xunit;
using static LanguageExt.Prelude;
using static PandaProbe.Model.TraceEvent;
using static PandaProbe.Unit.Serialization.WireSamples;

namespace PandaProbe.Unit.Export;

public class SpanTreeTests
{
    static readonly TraceId Coordinator = new(Guid.Parse("c0000000-0000-4000-8000-000000000001"));
    static readonly TraceId Researcher = new(Guid.Parse("c0000000-0000-4000-8000-000000000002"));
    static readonly DateTimeOffset S = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static DateTimeOffset Ms(int ms) => S.AddMilliseconds(ms);
    static SpanId Id(int n) => new(Guid.Parse($"00000000-0000-4000-8000-{n:D12}"));

    static Trace CoordinatorTrace() => Completed([
        new TraceStarted(Coordinator, "coordinator", S),
        new SpanStarted(Coordinator, Id(1), null, "plan", SpanKind.Agent, Ms(10)),
        new SpanStarted(Coordinator, Id(2), Id(1), "gpt-4o", SpanKind.Llm, Ms(20)),
        new TokensSet(Coordinator, Id(2), TokenUsage.Of(100, 50), Ms(300)),
        new CostSet(Coordinator, Id(2), Cost.Of(0.0008), Ms(300)),
        new SpanEnded(Coordinator, Id(2), Ms(320)),
        new SpanStarted(Coordinator, Id(3), Id(1), "lookup", SpanKind.Tool, Ms(15)),
        new Errored(Coordinator, Id(3), ErrorInfo.Of("not found\nat line 2"), Ms(25)),
        new SpanEnded(Coordinator, Id(3), Ms(27)),
        new SpanEnded(Coordinator, Id(1), Ms(400)),
        new TraceEnded(Coordinator, Ms(2100)),
    ]);

    static Trace ResearcherTrace() => Completed([
        new TraceStarted(Researcher, "researcher", Ms(500), ParentTrace: Coordinator),
        new SpanStarted(Researcher, Id(10), null, "claude", SpanKind.Llm, Ms(600)),
        new TokensSet(Researcher, Id(10), TokenUsage.Of(800, 400), Ms(2000)),
        new CostSet(Researcher, Id(10), Cost.Of(0.0084), Ms(2000)),
        new SpanEnded(Researcher, Id(10), Ms(2200)),
        new TraceEnded(Researcher, Ms(2300)),
    ]);

    [Fact]
    public void A_small_tree_shows_kinds_durations_tokens_cost_and_errors()
    {
        var text = SpanTree.Render(CoordinatorTrace());
        Assert.Equal(
            "— Trace: coordinator  [2.1s]  tokens=150  $0.0008\n" +
            " └─ Agent: plan  [0.4s]\n" +
            "     ├─ Tool: lookup  [12ms]  ERROR: not found at line 2\n" +
            "     └─ LLM: gpt-4o  [0.3s]  in=100 out=50  $0.0008\n",
            text);
    }

    [Fact]
    public void Child_runs_are_nested_sections_with_a_grand_total()
    {
        var text = SpanTree.Render(CoordinatorTrace(), [ResearcherTrace()]);
        Assert.Equal(
            "— Trace: coordinator  [2.1s]  tokens=150  $0.0008\n" +
            " ├─ Agent: plan  [0.4s]\n" +
            " │   ├─ Tool: lookup  [12ms]  ERROR: not found at line 2\n" +
            " │   └─ LLM: gpt-4o  [0.3s]  in=100 out=50  $0.0008\n" +
            " └─ Agent Run: researcher  [1.8s]  tokens=1200  $0.0084\n" +
            "     └─ LLM: claude  [1.6s]  in=800 out=400  $0.0084\n" +
            " Total (with children): $0.0092\n",
            text);
    }

    [Fact]
    public void Spans_whose_parent_is_missing_are_shown_at_the_top_level()
    {
        var orphan = new Span
        {
            Id = Id(7), Trace = Coordinator, Parent = Some(Id(99)), Name = "orphan", Kind = SpanKind.Retriever,
            StartedAt = Ms(5), EndedAt = Some(Ms(10)), Status = SpanStatus.Ok,
        };
        var trace = CoordinatorTrace();
        var text = SpanTree.Render(trace with { Spans = trace.Spans.Add(orphan) });
        Assert.Contains(" ├─ Retriever: orphan  [5ms]\n", text);
        Assert.Contains(" └─ Agent: plan", text);
    }

    [Fact]
    public void Tiny_costs_keep_significant_digits()
    {
        var trace = CoordinatorTrace();
        var cheap = trace with { Spans = trace.Spans.Map(s => s.Cost.IsSome ? s with { Cost = Some(Cost.Of(0.0000195)) } : s).Strict() };
        Assert.Contains("$0.0000195", SpanTree.Render(cheap));
        var seedStyle = trace with
        {
            Spans = trace.Spans.Map(s => s.Cost.IsSome ? s with { Cost = Some(new Cost(Map(("input_cost", 0.001), ("total_cost", 0.0015)))) } : s).Strict(),
        };
        Assert.Contains("in=100 out=50  $0.0015", SpanTree.Render(seedStyle));
    }

    [Fact]
    public void A_trace_without_spans_renders_only_its_header()
    {
        Assert.Equal("— Trace: minimal  [2.0s]\n", SpanTree.Render(Minimal()));
        var failed = Minimal() with { Status = TraceStatus.Error, Error = Some(ErrorInfo.Of("boom")) };
        Assert.Equal("— Trace: minimal  [2.0s]  ERROR: boom\n", SpanTree.Render(failed));
    }
}
