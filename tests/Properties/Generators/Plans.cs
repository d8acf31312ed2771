namespace PandaProbe.Properties.Generators;

/// <summary>How a script's clock moves from one event to the next.</summary>
internal enum ClockMode
{
    /// <summary>Every event is later than the one before (the normal case).</summary>
    Increasing,
    /// <summary>Every event is earlier than the one before (a clock running backwards).</summary>
    Decreasing,
    /// <summary>Events jump forwards and backwards.</summary>
    Jittery,
}

/// <summary>
/// The arbitraries the properties draw from. Every plan is built only from FsCheck's built-in arbitraries (byte
/// arrays, arrays of byte arrays, bytes), so failing cases shrink for free; <see cref="Scripts"/> interprets a plan
/// into an event script, and any plan at all is a valid input to the interpreter. The properties receive them as
/// parameters through <see cref="Arbitraries"/>.
/// </summary>
internal static class Plans
{
    /// <summary>
    /// Step arrays: FsCheck's own byte-array arbitrary with its size scaled by four (an operation reads several bytes,
    /// so this gives scripts of a few dozen operations at the largest sizes) and its own shrinker kept.
    /// </summary>
    public static Arbitrary<byte[]> Steps { get; } = Scaled(ArbMap.Default.ArbFor<byte[]>(), 4);

    /// <summary>A plan for one script: its steps and the byte that picks the clock mode.</summary>
    public static Arbitrary<ScriptPlan> Script { get; } =
        Arb.Zip(Steps, ArbMap.Default.ArbFor<byte>()).Convert(t => new ScriptPlan(t.Item1, t.Item2), p => (p.Steps, p.Clock));

    /// <summary>A plan for several independent traces plus the choices that interleave them.</summary>
    public static Arbitrary<InterleavingPlan> Interleaving { get; } =
        Arb.Zip(Scaled(ArbMap.Default.ArbFor<byte[][]>(), 3), Steps).Convert(t => new InterleavingPlan(t.Item1, t.Item2), p => (p.Traces, p.Merge));

    /// <summary>Steps forty times longer than the ordinary scripts' (hundreds of operations, dozens of spans).</summary>
    public static Arbitrary<LongScriptPlan> LongScript { get; } =
        Arb.Zip(Scaled(ArbMap.Default.ArbFor<byte[]>(), 40), ArbMap.Default.ArbFor<byte>())
            .Convert(t => new LongScriptPlan(t.Item1, t.Item2), p => (p.Steps, p.Clock));

    /// <summary>Interleavings of longer traces (the trace plans at twelve times the size).</summary>
    public static Arbitrary<LongInterleavingPlan> LongInterleaving { get; } =
        Arb.Zip(Scaled(ArbMap.Default.ArbFor<byte[][]>(), 12), Steps).Convert(t => new LongInterleavingPlan(t.Item1, t.Item2), p => (p.Traces, p.Merge));

    /// <summary>Span-table operations: a byte array at eight times the size.</summary>
    public static Arbitrary<SpanTablePlan> SpanTableOps { get; } =
        Scaled(ArbMap.Default.ArbFor<byte[]>(), 8).Convert(b => new SpanTablePlan(b), p => p.Ops);

    /// <summary>One byte array per thread (at twice the size) and a byte choosing when the trace ends.</summary>
    public static Arbitrary<ThreadsPlan> Threads { get; } =
        Arb.Zip(Scaled(ArbMap.Default.ArbFor<byte[][]>(), 2), ArbMap.Default.ArbFor<byte>()).Convert(t => new ThreadsPlan(t.Item1, t.Item2), p => (p.Threads, p.End));

    /// <summary>A built-in arbitrary whose generator runs at <paramref name="factor"/> times the size, with the same shrinker.</summary>
    public static Arbitrary<T> Scaled<T>(Arbitrary<T> arbitrary, int factor) =>
        Arb.From(arbitrary.Generator.ScaleSize(size => size * factor), arbitrary.Shrinker);

    /// <summary>The same generator without a shrinker: for checks that only need to see a failure, not a minimal one.</summary>
    public static Arbitrary<T> Unshrunk<T>(Arbitrary<T> arbitrary) => Arb.From(arbitrary.Generator);

    /// <summary>The clock mode a plan byte selects.</summary>
    public static ClockMode ClockOf(byte b) => (ClockMode)(b % 3);
}
