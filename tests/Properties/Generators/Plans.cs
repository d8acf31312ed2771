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
/// into an event script, and any plan at all is a valid input to the interpreter.
/// </summary>
internal static class Plans
{
    /// <summary>
    /// Step arrays: FsCheck's own byte-array arbitrary with its size scaled by four (an operation reads several bytes,
    /// so this gives scripts of a few dozen operations at the largest sizes) and its own shrinker kept.
    /// </summary>
    public static Arbitrary<byte[]> Steps { get; } = Scaled(ArbMap.Default.ArbFor<byte[]>(), 4);

    /// <summary>A plan for one script: its steps and the byte that picks the clock mode.</summary>
    public static Arbitrary<(byte[] Steps, byte Clock)> Script { get; } = Arb.Zip(Steps, ArbMap.Default.ArbFor<byte>());

    /// <summary>A plan for several independent traces plus the choices that interleave them.</summary>
    public static Arbitrary<(byte[][] Traces, byte[] Merge)> Interleaving { get; } =
        Arb.Zip(Scaled(ArbMap.Default.ArbFor<byte[][]>(), 3), Steps);

    /// <summary>A string and a limit, for the truncation rules.</summary>
    public static Arbitrary<(string Text, byte Max)> TextAndLimit { get; } =
        Arb.Zip(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<byte>());

    /// <summary>A built-in arbitrary whose generator runs at <paramref name="factor"/> times the size, with the same shrinker.</summary>
    public static Arbitrary<T> Scaled<T>(Arbitrary<T> arbitrary, int factor) =>
        Arb.From(arbitrary.Generator.ScaleSize(size => size * factor), arbitrary.Shrinker);

    /// <summary>The same generator without a shrinker: for checks that only need to see a failure, not a minimal one.</summary>
    public static Arbitrary<T> Unshrunk<T>(Arbitrary<T> arbitrary) => Arb.From(arbitrary.Generator);

    /// <summary>The clock mode a plan byte selects.</summary>
    public static ClockMode ClockOf(byte b) => (ClockMode)(b % 3);
}
