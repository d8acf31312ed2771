namespace PandaProbe.Model;

/// <summary>The result of one reducer step: the new state and the effects to run, as data (a value type, so a step
/// costs no allocation of its own).</summary>
/// <remarks>
/// Most steps have exactly one output; such a step keeps it without building a sequence, which is built only when
/// <see cref="Outputs"/> is read. <see cref="OutputCount"/> and <see cref="OutputAt"/> read the outputs without it.
/// </remarks>
public readonly record struct Step
{
    readonly Output? single;
    readonly Seq<Output> many;

    /// <summary>A step with the given state and outputs.</summary>
    /// <param name="State">The state after the event.</param>
    /// <param name="Outputs">What the shell should do, in order.</param>
    public Step(TraceState State, Seq<Output> Outputs)
    {
        this.State = State;
        many = Outputs;
    }

    /// <summary>A step with one output.</summary>
    internal Step(TraceState state, Output output)
    {
        State = state;
        single = output;
    }

    /// <summary>The step before any event: the empty state and no outputs.</summary>
    public static Step Initial { get; } = new(TraceState.Empty, Seq<Output>());

    /// <summary>The state after the event.</summary>
    public TraceState State { get; init; }

    /// <summary>What the shell should do, in order.</summary>
    public Seq<Output> Outputs
    {
        get => single is null ? many : Seq1(single);
        init
        {
            many = value;
            single = null;
        }
    }

    /// <summary>The number of outputs.</summary>
    public int OutputCount => single is null ? many.Count : 1;

    /// <summary>The output at <paramref name="index"/> (0 to <see cref="OutputCount"/> − 1), in order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the outputs.</exception>
    public Output OutputAt(int index)
    {
        if ((uint)index >= (uint)OutputCount) throw new ArgumentOutOfRangeException(nameof(index));
        return single ?? many[index];
    }

    /// <summary>The state and the outputs.</summary>
    public void Deconstruct(out TraceState State, out Seq<Output> Outputs)
    {
        State = this.State;
        Outputs = this.Outputs;
    }

    /// <summary>Equal when the states and the output sequences are equal.</summary>
    public bool Equals(Step other) =>
        Equals(State, other.State) && Outputs.Equals(other.Outputs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(State, Outputs);
}
