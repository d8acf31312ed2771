using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using PandaProbe.Model.Summary;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.ReferenceSystems;

public class TraceSummaryTests
{
    [Fact]
    public void Counts_tokens_cost_and_duration_cover_the_ended_spans()
    {
        var trace = RefData.Trace("agent", [
            t => RefData.LlmSpan(t, "gpt-4o", 100, 50, cost: Cost.Of(0.25)),
            t => RefData.LlmSpan(t, "gpt-4o", 10, 5, status: SpanStatus.Error, cost: Cost.Of(0.5)),
            t => RefData.LlmSpan(t, "claude-3-5-sonnet", 800, 400),
            t => RefData.PlainSpan(t, "search", status: SpanStatus.Error),
        ], durS: 2.5);

        var s = TraceSummaries.Of(trace);

        Assert.Equal(4, s.SpanCount);
        Assert.Equal(2, s.ErrorCount);
        Assert.Equal(910, s.PromptTokens);
        Assert.Equal(455, s.CompletionTokens);
        Assert.Equal(1365, s.TotalTokens);
        Assert.Equal(0.75, s.Cost);                                  // the claude span has no cost and no catalogue
        Assert.Equal(0.75, s.CostWithChildren);
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.Duration);
        Assert.Equal(trace.Id.ToString(), s.TraceId);
        Assert.Equal("agent", s.Name);
        Assert.Null(s.ParentTraceId);
        Assert.Equal(new TraceSummary.ModelUsage(2, 110, 55, 165, 0.75), s.Models["gpt-4o"]);
        Assert.Equal(new TraceSummary.ModelUsage(1, 800, 400, 1200, 0), s.Models["claude-3-5-sonnet"]);
        Assert.Equal(2, s.Models.Count);
    }

    [Fact]
    public void A_failed_trace_adds_one_to_the_error_count()
    {
        var trace = RefData.Trace("agent", [t => RefData.PlainSpan(t, "ok")], status: TraceStatus.Error);
        Assert.Equal(1, TraceSummaries.Of(trace).ErrorCount);
    }

    [Fact]
    public void An_open_trace_has_no_duration()
    {
        var trace = RefData.Trace("agent", [], durS: null);
        var s = TraceSummaries.Of(trace);
        Assert.Null(s.Duration);
        Assert.Equal(0, s.SpanCount);
        Assert.Equal(0d, s.Cost);
    }

    [Fact]
    public void With_a_catalogue_uncosted_spans_are_priced_and_explicit_costs_are_kept()
    {
        var trace = RefData.Trace("agent", [
            t => RefData.LlmSpan(t, "gpt-4o", 100, 50),
            t => RefData.LlmSpan(t, "claude-3-5-sonnet-20241022", 800, 400, cost: Cost.Of(1)),
        ]);
        var s = TraceSummaries.Of(trace, catalog: PriceCatalog.Default);
        Assert.Equal(1.00075, s.Cost);
        Assert.Equal(0.00075, s.Models["gpt-4o"].Cost);
    }

    [Fact]
    public void Child_costs_roll_up_into_CostWithChildren_only()
    {
        var grandchild = TraceSummaries.Of(RefData.Trace("g", [t => RefData.LlmSpan(t, "m", 1, 1, cost: Cost.Of(0.25))]));
        var child = TraceSummaries.Of(RefData.Trace("c", [t => RefData.LlmSpan(t, "m", 1, 1, cost: Cost.Of(0.5))]), [grandchild]);
        var root = TraceSummaries.Of(RefData.Trace("r", [t => RefData.LlmSpan(t, "m", 1, 1, cost: Cost.Of(1))]), [child]);

        Assert.Equal(0.75, child.CostWithChildren);
        Assert.Equal(1d, root.Cost);
        Assert.Equal(1.75, root.CostWithChildren);
        Assert.Equal(2, root.TotalTokens);                           // tokens are not rolled up
        Assert.Same(child, Assert.Single(root.Children));
    }

    [Fact]
    public void OfTree_links_sub_agent_traces_by_their_parent_trace()
    {
        var rootId = TraceId.New();
        var childId = TraceId.New();
        var root = RefData.Trace("coordinator", [t => RefData.LlmSpan(t, "gpt-4o", 100, 50)], id: rootId, durS: 3);
        var child = RefData.Trace("researcher", [t => RefData.LlmSpan(t, "claude-3-5-sonnet-20241022", 800, 400)],
            startS: 1, parent: rootId, id: childId);
        var grandchild = RefData.Trace("reader", [t => RefData.LlmSpan(t, "gpt-4o-mini", 1000, 1000)], startS: 1.5, parent: childId);
        var unrelated = RefData.Trace("other", [t => RefData.LlmSpan(t, "gpt-4o", 1_000_000, 0)]);

        var s = TraceSummaries.OfTree(root, [unrelated, grandchild, child, root], PriceCatalog.Default);

        Assert.Equal(0.00075, s.Cost);
        var c = Assert.Single(s.Children);
        Assert.Equal("researcher", c.Name);
        Assert.Equal(rootId.ToString(), c.ParentTraceId);
        Assert.Equal(0.0084, c.Cost);
        var g = Assert.Single(c.Children);
        Assert.Equal(0.00075, g.Cost);                                   // 1000 × 0.15 + 1000 × 0.60, per 1M
        Assert.Equal(0.0099, s.CostWithChildren);
    }

    [Fact]
    public void OfTree_cuts_a_cycle_of_parent_links()
    {
        var a = TraceId.New();
        var b = TraceId.New();
        var ta = RefData.Trace("a", [t => RefData.LlmSpan(t, "m", 1, 1, cost: Cost.Of(1))], id: a, parent: b);
        var tb = RefData.Trace("b", [t => RefData.LlmSpan(t, "m", 1, 1, cost: Cost.Of(2))], id: b, parent: a);
        var s = TraceSummaries.OfTree(ta, [ta, tb]);
        Assert.Equal(3d, s.CostWithChildren);
        Assert.Empty(Assert.Single(s.Children).Children);
    }
}
