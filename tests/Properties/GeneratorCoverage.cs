using PandaProbe.Model.Enrichment;
using PandaProbe.Properties.Generators;

namespace PandaProbe.Properties;

/// <summary>
/// Checks that the generators reach the cases the properties are about (every rejection reason, late spans, repairs,
/// errors, clamped end times), on a fixed sample so the result does not depend on the run.
/// </summary>
public class GeneratorCoverage
{
    static readonly ScriptPlan[] Sample = Plans.Script.Generator.Sample(60, new Rnd(20250314UL), 300);

    static IEnumerable<Output> Outputs(Func<ScriptPlan, IReadOnlyList<TraceEvent>> script) =>
        Sample.SelectMany(p => TraceReducer.Fold(script(p)).Outputs);

    [Fact]
    public void Ill_formed_and_corrupted_scripts_reach_every_rejection_reason()
    {
        var reasons = Outputs(p => Scripts.IllFormed(p.Steps, Plans.ClockOf(p.Clock)))
            .Concat(Outputs(p => Scripts.Corrupted(p.Steps, Plans.ClockOf(p.Clock))))
            .OfType<Output.Rejected>().Select(r => r.Reason).ToHashSet();
        Assert.Equal(Enum.GetValues<RejectionReason>().ToHashSet(), reasons);
    }

    [Fact]
    public void Well_formed_scripts_reach_repairs_errors_every_status_and_clamped_ends()
    {
        var outputs = Outputs(p => Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock))).ToList();
        var spans = outputs.OfType<Output.SpanCompleted>().Select(o => o.Span).ToList();
        var traces = outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace).ToList();
        var repairs = outputs.SelectMany(o => Enricher.LimitsOnly.Output(o).Adjustments).ToList();
        Assert.Contains(repairs, r => r.StartsWith("span name:", StringComparison.Ordinal) || r.StartsWith("trace name:", StringComparison.Ordinal));
        Assert.Contains(repairs, r => r.StartsWith("model:", StringComparison.Ordinal));
        Assert.Equal([SpanStatus.Ok, SpanStatus.Error], spans.Select(s => s.Status).Distinct().Order());
        Assert.Equal(Enum.GetValues<TraceStatus>(), traces.Select(t => t.Status).Distinct().Order());
        Assert.Contains(spans, s => s.Parent is not null && s.Tokens is not null && s.Cost is not null && !s.Metadata.IsEmpty && !s.Logs.IsEmpty);
        Assert.Contains(spans, s => s.EndedAt == Some(s.StartedAt));
        Assert.Contains(traces, t => t.Spans.Count >= 5);
    }

    [Fact]
    public void Late_span_scripts_reach_late_spans_with_setters()
    {
        var late = Outputs(p => Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock)))
            .OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span).ToList();
        Assert.True(late.Count >= Sample.Length / 2, $"only {late.Count} late spans in {Sample.Length} scripts");
        Assert.Contains(late, s => s.Parent is not null);
    }
}
