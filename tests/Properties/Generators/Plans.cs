namespace PandaProbe.Properties.Generators;

/// <summary>How a script's clock moves from one event to the next.</summary>
public enum ClockMode
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
public static class Plans
{
    /// <summary>A plan for one script: its steps and the byte that picks the clock mode.</summary>
    public static Arbitrary<(byte[] Steps, byte Clock)> Script { get; } =
        Arb.Zip(ArbMap.Default.ArbFor<byte[]>(), ArbMap.Default.ArbFor<byte>());

    /// <summary>A plan for several independent traces plus the choices that interleave them.</summary>
    public static Arbitrary<(byte[][] Traces, byte[] Merge)> Interleaving { get; } =
        Arb.Zip(ArbMap.Default.ArbFor<byte[][]>(), ArbMap.Default.ArbFor<byte[]>());

    /// <summary>A string and a limit, for the truncation rules.</summary>
    public static Arbitrary<(string Text, byte Max)> TextAndLimit { get; } =
        Arb.Zip(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<byte>());

    /// <summary>The clock mode a plan byte selects.</summary>
    public static ClockMode ClockOf(byte b) => (ClockMode)(b % 3);
}
