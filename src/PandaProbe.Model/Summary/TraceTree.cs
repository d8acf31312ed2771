using System.Globalization;
using System.Text;
using PandaProbe.Model.Pricing;

namespace PandaProbe.Model.Summary;

/// <summary>
/// Renders a trace, its spans and its sub-agent traces as a text tree, one line per node:
/// <code>
/// — Agent Run: coordinator  [2.1s]
///  ├─ LLM Call: gpt-4o  [0.3s]  in=100 out=50  $0.0008
///  └─ Agent Run: researcher  [1.8s]
///      └─ LLM Call: claude-3-5-sonnet  [1.6s]  in=800 out=400  $0.0084
///  Total (with children): $0.0092
/// </code>
/// </summary>
/// <remarks>
/// Spans nest under their parent span (a span whose parent has not ended is shown at the top level of its trace);
/// sub-agent traces nest under the trace named by their <see cref="TraceRecord.ParentTrace"/>. Siblings are ordered by start
/// time. An LLM span is labelled with its model family (<see cref="ModelNames.Family"/>), other spans with their name.
/// Durations are seconds with one decimal; costs use <see cref="Money.Format"/>. The last line is the root's
/// <see cref="TraceSummary.CostWithChildren"/>, labelled "Total (with children)" when there are sub-agent traces.
/// </remarks>
internal static class TraceTree
{
    /// <summary>Renders the tree; lines end with <c>\n</c>.</summary>
    /// <param name="root">The top trace.</param>
    /// <param name="related">Other traces (sub-agent runs at any depth); <c>null</c> for none.</param>
    /// <param name="catalog">Prices for spans without a cost; <c>null</c> shows only recorded costs.</param>
    public static string Render(TraceRecord root, IEnumerable<TraceRecord>? related = null, PriceCatalog? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var relatedList = related?.Where(t => t is not null).ToArray() ?? [];
        var byParent = ChildrenByParent(relatedList);
        var sb = new StringBuilder();
        sb.Append("— ").Append(TraceLine(root)).Append('\n');
        WriteTraceBody(sb, CostCalculator.Apply(catalog, root), byParent, catalog, " ", [root.Id]);
        var summary = TraceSummaries.OfTree(root, relatedList, catalog);
        sb.Append(' ').Append(summary.Children.Count > 0 ? "Total (with children): " : "Total: ")
          .Append(Money.Format(summary.CostWithChildren)).Append('\n');
        return sb.ToString();
    }

    internal static ILookup<TraceId, TraceRecord> ChildrenByParent(IEnumerable<TraceRecord>? traces) =>
        (traces ?? []).Where(t => t is not null && t.ParentTrace is not null)
            .ToLookup(t => t.ParentTrace ?? default(TraceId));

    internal static IEnumerable<TraceRecord> ChildrenOf(ILookup<TraceId, TraceRecord> byParent, TraceId id) =>
        byParent[id].Where(t => t.Id != id).GroupBy(t => t.Id).Select(g => g.First()).OrderBy(t => t.StartedAt);

    abstract record Node(DateTimeOffset StartedAt);
    sealed record SpanNode(Span Span) : Node(Span.StartedAt);
    sealed record TraceNode(TraceRecord Trace) : Node(Trace.StartedAt);

    static void WriteTraceBody(StringBuilder sb, TraceRecord trace, ILookup<TraceId, TraceRecord> byParent, PriceCatalog? catalog,
        string indent, System.Collections.Immutable.ImmutableHashSet<TraceId> path)
    {
        var ended = trace.Spans.Map(s => s.Id).ToHashSet();
        var spansByParent = trace.Spans
            .ToLookup(s => s.Parent is { } p && ended.Contains(p) ? p : (SpanId?)null);
        var subTraces = ChildrenOf(byParent, trace.Id).Where(t => !path.Contains(t.Id));

        void WriteChildren(IEnumerable<Node> nodes, string prefix)
        {
            var list = nodes.OrderBy(n => n.StartedAt).ToArray();
            for (var i = 0; i < list.Length; i++)
            {
                var last = i == list.Length - 1;
                sb.Append(prefix).Append(last ? "└─ " : "├─ ");
                var childPrefix = prefix + (last ? "    " : "│   ");
                switch (list[i])
                {
                    case SpanNode { Span: var span }:
                        sb.Append(SpanLine(span)).Append('\n');
                        WriteChildren(spansByParent[span.Id].Select(s => (Node)new SpanNode(s)), childPrefix);
                        break;
                    case TraceNode { Trace: var sub }:
                        sb.Append(TraceLine(sub)).Append('\n');
                        WriteTraceBody(sb, CostCalculator.Apply(catalog, sub), byParent, catalog, childPrefix, path.Add(sub.Id));
                        break;
                }
            }
        }

        WriteChildren(
            spansByParent[null].Select(s => (Node)new SpanNode(s)).Concat(subTraces.Select(t => (Node)new TraceNode(t))),
            indent);
    }

    static string TraceLine(TraceRecord t) =>
        $"Agent Run: {t.Name}  [{Seconds(t.Duration)}]" + (t.Status == TraceStatus.Error ? ErrorMark(t.Error) : string.Empty);

    /// <summary><c>  ERROR</c>, followed by the error's message on one line when there is one.</summary>
    static string ErrorMark(ErrorInfo? error) =>
        error is { } e && !string.IsNullOrWhiteSpace(e.Message) ? "  ERROR: " + e.Message.ReplaceLineEndings(" ") : "  ERROR";

    static string SpanLine(Span s)
    {
        var label = s.Kind switch
        {
            SpanType.Llm => "LLM Call",
            SpanType.Tool => "Tool Call",
            SpanType.Agent => "Agent",
            SpanType.Retriever => "Retrieval",
            SpanType.Embedding => "Embedding",
            SpanType.Chain => "Chain",
            _ => "Span",
        };
        var name = s.Kind == SpanType.Llm && s.Model is { } model && ModelNames.Family(model) is { Length: > 0 } family
            ? family
            : s.Name;
        var sb = new StringBuilder($"{label}: {name}  [{Seconds(s.Duration)}]");
        if (s.Tokens is { } tokens) sb.Append(CultureInfo.InvariantCulture, $"  in={tokens.Prompt} out={tokens.Completion}");
        if (s.Cost is { } cost) sb.Append("  ").Append(Money.Format(cost.Total));
        if (s.Status == SpanStatus.Error) sb.Append(ErrorMark(s.Error));
        return sb.ToString();
    }

    static string Seconds(TimeSpan? duration) =>
        duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "running";
}
