namespace PandaProbe.Model;

/// <summary>The result of one reducer step over one trace: its next state (null once it has finished) and at most one output.</summary>
/// <param name="State">The trace's state after the event; <c>null</c> when the trace has finished (or never started).</param>
/// <param name="Output">What the shell should do, if anything.</param>
internal readonly record struct TraceStep(OpenTrace? State, Output? Output)
{
    /// <summary>
    /// For an accepted span-local event folded in its span's own cell, its place in that span's order
    /// (<see cref="OpenSpan.Version"/>); 0 otherwise.
    /// </summary>
    public int SpanVersion { get; init; }
}

/// <summary>The result of one reducer step over many traces: the new state and the effects to run, as data.</summary>
/// <param name="State">The state after the event.</param>
/// <param name="Outputs">What the shell should do, in order.</param>
internal readonly record struct Step(TraceState State, Seq<Output> Outputs)
{
    /// <summary>The step before any event: the empty state and no outputs.</summary>
    public static Step Initial { get; } = new(TraceState.Empty, Seq<Output>());
}
