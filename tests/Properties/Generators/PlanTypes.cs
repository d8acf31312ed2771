namespace PandaProbe.Properties.Generators;

// The inputs the properties take as parameters. Each is its own type so that the shared attribute can register one
// arbitrary per plan (see Arbitraries); all are built from FsCheck's built-in arbitraries, so they shrink for free.
// ToString prints the bytes, so a counterexample can be pasted back into a test.

/// <summary>A plan for one script: its steps and the byte that picks the clock mode (<see cref="Plans.Script"/>).</summary>
public sealed record ScriptPlan(byte[] Steps, byte Clock)
{
    /// <inheritdoc/>
    public override string ToString() => $"ScriptPlan({PlanText.Of(Steps)}, {Clock})";
}

/// <summary>A plan for one script forty times longer than a <see cref="ScriptPlan"/>'s (<see cref="Plans.LongScript"/>).</summary>
public sealed record LongScriptPlan(byte[] Steps, byte Clock)
{
    /// <inheritdoc/>
    public override string ToString() => $"LongScriptPlan({PlanText.Of(Steps)}, {Clock})";
}

/// <summary>A plan for several independent traces plus the choices that interleave them (<see cref="Plans.Interleaving"/>).</summary>
public sealed record InterleavingPlan(byte[][] Traces, byte[] Merge)
{
    /// <inheritdoc/>
    public override string ToString() => $"InterleavingPlan({PlanText.Of(Traces)}, {PlanText.Of(Merge)})";
}

/// <summary>An <see cref="InterleavingPlan"/> with longer traces (<see cref="Plans.LongInterleaving"/>).</summary>
public sealed record LongInterleavingPlan(byte[][] Traces, byte[] Merge)
{
    /// <inheritdoc/>
    public override string ToString() => $"LongInterleavingPlan({PlanText.Of(Traces)}, {PlanText.Of(Merge)})";
}

/// <summary>Operations on a span table, two bytes each (<see cref="Plans.SpanTableOps"/>).</summary>
public sealed record SpanTablePlan(byte[] Ops)
{
    /// <inheritdoc/>
    public override string ToString() => $"SpanTablePlan({PlanText.Of(Ops)})";
}

/// <summary>One byte array per thread (its spans and their updates) and a byte choosing when the trace ends (<see cref="Plans.Threads"/>).</summary>
public sealed record ThreadsPlan(byte[][] Threads, byte End)
{
    /// <inheritdoc/>
    public override string ToString() => $"ThreadsPlan({PlanText.Of(Threads)}, {End})";
}

/// <summary>Plan bytes as text.</summary>
static class PlanText
{
    public static string Of(byte[]? bytes) => bytes is null ? "null" : "[" + string.Join(",", bytes) + "]";

    public static string Of(byte[][]? arrays) => arrays is null ? "null" : "[" + string.Join(", ", arrays.Select(Of)) + "]";
}
