using System.Globalization;
using System.Text;

namespace PandaProbe.Exporters;

/// <summary>
/// Renders a trace as a text tree for consoles and logs (pure string building, no I/O):
/// <code>
/// — Trace: coordinator  [2.1s]  tokens=1350  $0.0092
///  ├─ LLM: plan  [0.3s]  in=100 out=50  $0.0008
///  └─ Agent Run: researcher  [1.8s]  tokens=1200  $0.0084
///      └─ LLM: search  [1.6s]  in=800 out=400  $0.0084
///  Total (with children): $0.0092
/// </code>
/// Spans hang under their parent (children sorted by start time; a span whose parent is missing is shown at the
/// top level). Child traces (sub-agent runs) become nested "Agent Run" sections among the top-level nodes.
/// </summary>
public static class SpanTree
{
    /// <summary>Renders <paramref name="trace"/>, with <paramref name="childTraces"/> as nested agent runs.</summary>
    /// <param name="trace">The trace to render.</param>
    /// <param name="childTraces">Sub-agent runs started from this trace, if any.</param>
    /// <returns>The tree, one node per line, each line ending with <c>\n</c>.</returns>
    public static string Render(Trace trace, IReadOnlyList<Trace>? childTraces = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var children = (childTraces ?? []).Where(c => c is not null).ToArray();
        var sb = new StringBuilder();
        var (tokens, cost, hasCost) = Totals(trace);
        sb.Append("— Trace: ").Append(trace.Name);
        AppendDuration(sb, trace.Duration);
        if (trace.Status == TraceStatus.Error)
        {
            sb.Append("  ERROR");
            if (trace.Error.TryGet(out var error)) sb.Append(": ").Append(OneLine(error.Message));
        }
        if (tokens > 0) sb.Append("  tokens=").Append(tokens.ToString(CultureInfo.InvariantCulture));
        if (hasCost) sb.Append("  ").Append(Money(cost));
        sb.Append('\n');

        var nodes = TopLevel(trace).Select(s => (s.StartedAt, Node: (object)s))
            .Concat(children.Select(c => (c.StartedAt, Node: (object)c)))
            .OrderBy(n => n.StartedAt)
            .Select(n => n.Node)
            .ToArray();
        var byParent = ChildrenByParent(trace);
        for (var i = 0; i < nodes.Length; i++)
        {
            var last = i == nodes.Length - 1;
            if (nodes[i] is Span span) AppendSpan(sb, span, byParent, " ", last);
            else AppendRun(sb, (Trace)nodes[i], " ", last);
        }
        if (children.Length > 0)
        {
            var total = cost + children.Sum(c => Totals(c).Cost);
            sb.Append(" Total (with children): ").Append(Money(total)).Append('\n');
        }
        return sb.ToString();
    }

    static void AppendRun(StringBuilder sb, Trace run, string indent, bool last)
    {
        var (tokens, cost, hasCost) = Totals(run);
        sb.Append(indent).Append(last ? "└─ " : "├─ ").Append("Agent Run: ").Append(run.Name);
        AppendDuration(sb, run.Duration);
        if (run.Status == TraceStatus.Error)
        {
            sb.Append("  ERROR");
            if (run.Error.TryGet(out var error)) sb.Append(": ").Append(OneLine(error.Message));
        }
        if (tokens > 0) sb.Append("  tokens=").Append(tokens.ToString(CultureInfo.InvariantCulture));
        if (hasCost) sb.Append("  ").Append(Money(cost));
        sb.Append('\n');
        var childIndent = indent + (last ? "    " : "│   ");
        var byParent = ChildrenByParent(run);
        var top = TopLevel(run).OrderBy(s => s.StartedAt).ToArray();
        for (var i = 0; i < top.Length; i++) AppendSpan(sb, top[i], byParent, childIndent, i == top.Length - 1);
    }

    static void AppendSpan(StringBuilder sb, Span span, ILookup<SpanId, Span> byParent, string indent, bool last)
    {
        sb.Append(indent).Append(last ? "└─ " : "├─ ").Append(Label(span.Kind)).Append(": ").Append(span.Name);
        AppendDuration(sb, span.Duration);
        if (span.Status == SpanStatus.Error)
        {
            sb.Append("  ERROR");
            if (span.Error.TryGet(out var error)) sb.Append(": ").Append(OneLine(error.Message));
        }
        if (span.Tokens.TryGet(out var tokens) && tokens is not null)
            sb.Append("  in=").Append(tokens.Prompt.ToString(CultureInfo.InvariantCulture))
              .Append(" out=").Append(tokens.Completion.ToString(CultureInfo.InvariantCulture));
        if (span.Cost.TryGet(out var cost) && cost is not null) sb.Append("  ").Append(Money(Amount(cost)));
        sb.Append('\n');
        var kids = byParent[span.Id].OrderBy(s => s.StartedAt).ToArray();
        var childIndent = indent + (last ? "    " : "│   ");
        for (var i = 0; i < kids.Length; i++) AppendSpan(sb, kids[i], byParent, childIndent, i == kids.Length - 1);
    }

    static IEnumerable<Span> TopLevel(Trace trace)
    {
        var ids = trace.Spans.Where(s => s is not null).Select(s => s.Id).ToHashSet();
        return trace.Spans.Where(s => s is not null && (!s.Parent.TryGet(out var p) || !ids.Contains(p) || p == s.Id));
    }

    static ILookup<SpanId, Span> ChildrenByParent(Trace trace) =>
        trace.Spans
            .Where(s => s is not null && s.Parent.TryGet(out var p) && p != s.Id)
            .ToLookup(s => s.Parent.Match(p => p, () => default));

    static (long Tokens, double Cost, bool HasCost) Totals(Trace trace)
    {
        long tokens = 0;
        double cost = 0;
        var hasCost = false;
        foreach (var span in trace.Spans)
        {
            if (span is null) continue;
            if (span.Tokens.TryGet(out var t) && t is not null) tokens += t.Prompt + t.Completion;
            if (span.Cost.TryGet(out var c) && c is not null) { cost += Amount(c); hasCost = true; }
        }
        return (tokens, cost, hasCost);
    }

    /// <summary>The amount shown for a cost: <c>total</c>, else <c>total_cost</c> (the seeds' key), else the sum of its parts.</summary>
    static double Amount(Cost cost) =>
        cost.Components.Find(Cost.TotalKey)
            .IfNone(() => cost.Components.Find("total_cost").IfNone(() => cost.Components.Values.Where(double.IsFinite).Sum()));

    /// <summary>Dollars with 4 decimals, or 3 significant digits for amounts under $0.0001 (so they do not show as zero).</summary>
    internal static string Money(double amount)
    {
        if (!double.IsFinite(amount)) return "$?";
        var abs = Math.Abs(amount);
        var decimals = abs is 0 or >= 0.0001 ? 4 : Math.Min(12, (int)-Math.Floor(Math.Log10(abs)) + 2);
        return "$" + amount.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>A duration like <c>[12ms]</c> under 0.1 s, otherwise <c>[0.3s]</c>.</summary>
    internal static string Duration(TimeSpan d) =>
        d.TotalMilliseconds < 100
            ? $"[{Math.Max(0, (long)Math.Round(d.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture)}ms]"
            : $"[{d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s]";

    static void AppendDuration(StringBuilder sb, Option<TimeSpan> duration) =>
        sb.Append("  ").Append(duration.TryGet(out var d) ? Duration(d) : "[open]");

    static string Label(SpanKind kind) => kind switch
    {
        SpanKind.Agent => "Agent",
        SpanKind.Tool => "Tool",
        SpanKind.Llm => "LLM",
        SpanKind.Retriever => "Retriever",
        SpanKind.Chain => "Chain",
        SpanKind.Embedding => "Embedding",
        _ => "Span",
    };

    static string OneLine(string? text) =>
        string.IsNullOrEmpty(text) ? string.Empty : text.ReplaceLineEndings(" ");
}
