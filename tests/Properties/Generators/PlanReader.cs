namespace PandaProbe.Properties.Generators;

/// <summary>
/// A cursor over a plan's bytes. Reading past the end yields 0, so every plan, however short, interprets to a
/// complete script; shrinking a plan towards fewer and smaller bytes shrinks the script.
/// </summary>
internal sealed class PlanReader(byte[]? plan)
{
    readonly byte[] plan = plan ?? [];
    int position;

    /// <summary><c>true</c> while unread bytes remain.</summary>
    public bool More => position < plan.Length;

    /// <summary>The next byte (0 past the end).</summary>
    public int Next() => position < plan.Length ? plan[position++] : 0;

    /// <summary>The next byte reduced to <c>[0, n)</c> (0 when <paramref name="n"/> is not positive).</summary>
    public int Next(int n) => n <= 0 ? 0 : Next() % n;
}
