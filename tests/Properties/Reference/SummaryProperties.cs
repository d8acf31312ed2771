using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Model;
using PandaProbe.Model.Summary;
using Xunit;

namespace PandaProbe.Properties.ReferenceSystems;

public class SummaryProperties
{
    [TraceProperty]
    public Property Summary_counts_equal_the_counts_over_the_spans(int[] plan, bool failed)
    {
        var trace = Plans.TraceOf(plan, failed);
        var s = TraceSummaries.Of(trace);
        var spans = trace.Spans.ToArray();
        var withModel = spans.Where(x => x.Model is not null).ToArray();
        long Prompt(Span x) => (x.Tokens?.Prompt ?? 0L);
        long Completion(Span x) => (x.Tokens?.Completion ?? 0L);

        return (s.SpanCount == plan.Length).Label("span count")
            .And((s.ErrorCount == spans.Count(x => x.Status == SpanStatus.Error) + (failed ? 1 : 0)).Label("error count"))
            .And((s.PromptTokens == spans.Sum(Prompt)).Label("prompt tokens"))
            .And((s.CompletionTokens == spans.Sum(Completion)).Label("completion tokens"))
            .And((s.TotalTokens == s.PromptTokens + s.CompletionTokens).Label("total tokens"))
            .And((s.Models.Values.Sum(m => m.Calls) == withModel.Length).Label("model calls"))
            .And((s.Models.Values.Sum(m => m.PromptTokens) == withModel.Sum(Prompt)).Label("model prompt tokens"))
            .And((s.Models.Keys.Order().SequenceEqual(withModel.Select(x => (x.Model ?? "")).Distinct().Order())).Label("model keys"))
            .And((Math.Abs(s.Cost - spans.Sum(x => (x.Cost?.Total ?? 0))) < 1e-6).Label("cost"));
    }

    [TraceProperty]
    public Property Cost_roll_up_equals_the_sum_over_the_tree_of_traces(int[][] plan)
    {
        // Trace 0 is the root; trace i > 0 hangs under an earlier trace chosen by its first number.
        var traces = new List<TraceRecord>();
        foreach (var (spans, i) in plan.Select((p, i) => (p ?? [], i)))
        {
            var parent = i == 0 ? (TraceId?)null : traces[Plans.Abs(spans.FirstOrDefault()) % i].Id;
            traces.Add(Plans.TraceOf(spans, parent: parent));
        }
        if (traces.Count == 0) return true.Label("empty plan");

        var root = TraceSummaries.OfTree(traces[0], traces.AsEnumerable().Reverse());
        var expected = traces.SelectMany(t => t.Spans).Sum(s => (s.Cost is { } c ? (decimal)c.Total : 0m));

        bool Consistent(TraceSummary n) =>
            n.CostWithChildren == Money.Sum(n.Children.Select(c => c.CostWithChildren).Prepend(n.Cost))
            && n.Children.All(Consistent);
        int Count(TraceSummary n) => 1 + n.Children.Sum(Count);

        return (root.CostWithChildren == (double)expected).Label($"roll-up {root.CostWithChildren} vs {expected}")
            .And(Consistent(root).Label("every node is its cost plus its children's"))
            .And((Count(root) == traces.Count).Label("every trace is in the tree once"));
    }
}
