namespace PandaProbe.Model.Sampling;

/// <summary>Which traces are kept, as pure decisions.</summary>
/// <param name="Ratio">The share of traces kept by their id (0 to 1).</param>
/// <param name="KeepErrors">Keep every trace that ended in error, or has a span that did, whatever the ratio.</param>
/// <param name="KeepSlowerThan">Keep every trace that took at least this long, whatever the ratio.</param>
/// <param name="KeepCostlierThan">Keep every trace whose spans cost at least this much (USD), whatever the ratio.</param>
internal sealed record SamplingPolicy(double Ratio, bool KeepErrors, TimeSpan? KeepSlowerThan, double? KeepCostlierThan)
{
    /// <summary>Keep everything.</summary>
    public static SamplingPolicy KeepAll { get; } = new(1, true, null, null);

    /// <summary><c>true</c> when every trace is kept (nothing to decide).</summary>
    public bool KeepsAll => Ratio >= 1;

    /// <summary><c>true</c> when a rule may keep, at its end, a trace the ratio would drop.</summary>
    public bool HasTailRules => KeepErrors || KeepSlowerThan is not null || KeepCostlierThan is not null;

    /// <summary>
    /// The ratio's decision for a trace id: deterministic (the same id always gets the same answer, in any process),
    /// read from 48 of the random bits of a version 4 id, so the kept share is <see cref="Ratio"/> within sampling noise.
    /// </summary>
    public bool HeadKeeps(TraceId id) => HeadKeeps(RandomGuid.Leading48(id.Value));

    /// <summary>The ratio's decision for the 48 bits <see cref="RandomGuid.Leading48"/> reads from an id.</summary>
    public bool HeadKeeps(ulong leading48) =>
        Ratio >= 1 || (Ratio > 0 && leading48 < (ulong)(Ratio * (1UL << 48)));

    /// <summary>
    /// <c>true</c> when the ratio alone decides, so a trace can be decided before it is recorded: the ratio drops
    /// some traces and no rule could keep one at its end.
    /// </summary>
    public bool DecidesAtStart => Ratio < 1 && !HasTailRules;

    /// <summary>
    /// The start of a trace when <see cref="DecidesAtStart"/>: the id of a kept trace, or <c>null</c> for a dropped
    /// one. The bits the decision reads are drawn first and the id is built around them only when kept, so a dropped
    /// trace costs one random draw, and the decision is the one <see cref="HeadKeeps(TraceId)"/> gives the id.
    /// </summary>
    public TraceId? StartOrDrop()
    {
        var leading48 = (ulong)Random.Shared.NextInt64(1L << 48);
        return HeadKeeps(leading48) ? new TraceId(RandomGuid.NewV4(leading48)) : null;
    }

    /// <summary>Whether a completed trace is kept: by its id, or by a tail rule when the ratio would drop it.</summary>
    public SampleDecision AtEnd(TraceRecord trace)
    {
        if (HeadKeeps(trace.Id)) return SampleDecision.KeptByRatio;
        if (KeepErrors && (trace.Status == TraceStatus.Error || trace.Spans.Exists(static s => s.Status == SpanStatus.Error)))
            return SampleDecision.KeptByRule;
        if (KeepSlowerThan is { } slow && trace.Duration >= slow) return SampleDecision.KeptByRule;
        if (KeepCostlierThan is { } costly && trace.Spans.Sum(static s => (s.Cost?.Total ?? 0d)) >= costly)
            return SampleDecision.KeptByRule;
        return SampleDecision.Dropped;
    }
}

/// <summary>The outcome of <see cref="SamplingPolicy.AtEnd"/>.</summary>
internal enum SampleDecision
{
    /// <summary>The ratio keeps the trace.</summary>
    KeptByRatio,
    /// <summary>The ratio would drop it, but a tail rule (error, slow, costly) keeps it.</summary>
    KeptByRule,
    /// <summary>Sampled out: neither the ratio nor a rule keeps it.</summary>
    Dropped,
}
