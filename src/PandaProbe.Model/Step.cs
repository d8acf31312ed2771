namespace PandaProbe.Model;

/// <summary>The result of one reducer step: the new state and the effects to run, as data.</summary>
/// <param name="State">The state after the event.</param>
/// <param name="Outputs">What the shell should do, in order.</param>
public sealed record Step(TraceState State, Seq<Output> Outputs)
{
    /// <summary>The step before any event: the empty state and no outputs.</summary>
    public static Step Initial { get; } = new(TraceState.Empty, Seq<Output>());
}
