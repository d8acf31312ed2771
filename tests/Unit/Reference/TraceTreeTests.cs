using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using PandaProbe.Model.Summary;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class TraceTreeTests
{
    [Fact]
    public void Renders_the_spanforge_rollup_example()
    {
        var rootId = TraceId.New();
        var root = RefData.Trace("coordinator", [t => RefData.LlmSpan(t, "gpt-4o", 100, 50, startS: 0.1, durS: 0.3)],
            id: rootId, durS: 2.1);
        var child = RefData.Trace("researcher",
            [t => RefData.LlmSpan(t, "claude-3-5-sonnet-20241022", 800, 400, startS: 0.6, durS: 1.6)],
            startS: 0.5, durS: 1.8, parent: rootId);

        var text = TraceTree.Render(root, [child], PriceCatalog.Default);

        Assert.Equal(
            "— Agent Run: coordinator  [2.1s]\n" +
            " ├─ LLM Call: gpt-4o  [0.3s]  in=100 out=50  $0.0008\n" +
            " └─ Agent Run: researcher  [1.8s]\n" +
            "     └─ LLM Call: claude-3-5-sonnet  [1.6s]  in=800 out=400  $0.0084\n" +
            " Total (with children): $0.0092\n",
            text);
    }

    [Fact]
    public void Nests_spans_under_their_parents_and_marks_errors()
    {
        Span? agent = null;
        var trace = RefData.Trace("run", [
            t => agent = RefData.PlainSpan(t, "planner", SpanType.Agent, startS: 0, durS: 2),
            t => RefData.PlainSpan(t, "search", SpanType.Tool, SpanStatus.Error, startS: 0.5, durS: 0.5, parent: agent!.Id),
            t => RefData.PlainSpan(t, "fetch", SpanType.Retriever, startS: 0.2, durS: 0.2, parent: agent!.Id),
            t => RefData.PlainSpan(t, "late", SpanType.Other, startS: 3, durS: 0.1),
        ], durS: 4, status: TraceStatus.Error);

        Assert.Equal(
            "— Agent Run: run  [4.0s]  ERROR\n" +
            " ├─ Agent: planner  [2.0s]\n" +
            " │   ├─ Retrieval: fetch  [0.2s]\n" +
            " │   └─ Tool Call: search  [0.5s]  ERROR\n" +
            " └─ Span: late  [0.1s]\n" +
            " Total: $0.0000\n",
            TraceTree.Render(trace));
    }

    [Fact]
    public void A_span_whose_parent_has_not_ended_is_shown_at_the_top_level()
    {
        var trace = RefData.Trace("run", [t => RefData.PlainSpan(t, "orphan", parent: SpanId.New())], durS: null);
        Assert.Equal(
            "— Agent Run: run  [running]\n" +
            " └─ Tool Call: orphan  [1.0s]\n" +
            " Total: $0.0000\n",
            TraceTree.Render(trace));
    }
}
