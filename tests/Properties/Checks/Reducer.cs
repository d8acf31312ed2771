namespace PandaProbe.Properties.Checks;

/// <summary>A reducer under test: the real <see cref="TraceReducer.Apply"/>, or a deliberately broken mutant.</summary>
internal delegate Step Reducer(TraceState state, TraceEvent e);

/// <summary>Folding helpers that work with any <see cref="Reducer"/>.</summary>
internal static class Folding
{
    /// <summary>The real reducer.</summary>
    public static Reducer Real { get; } = TraceReducer.Apply;

    /// <summary>Folds a script from the empty state with <paramref name="apply"/>, collecting every output.</summary>
    public static Step Fold(this Reducer apply, IEnumerable<TraceEvent> script)
    {
        var state = TraceState.Empty;
        var outputs = new List<Output>();
        foreach (var e in script)
        {
            var step = apply(state, e);
            state = step.State;
            outputs.AddRange(step.Outputs);
        }
        return new Step(state, outputs.ToSeq().Strict());
    }

    /// <summary>Every step of a fold: the state before, the event and the step it produced.</summary>
    public static IEnumerable<(TraceState Before, TraceEvent Event, Step Step)> Steps(this Reducer apply, IEnumerable<TraceEvent> script)
    {
        var state = TraceState.Empty;
        foreach (var e in script)
        {
            var step = apply(state, e);
            yield return (state, e, step);
            state = step.State;
        }
    }
}
