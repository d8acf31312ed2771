namespace PandaProbe.Properties.Generators;

/// <summary>The clock of one generated script: it moves by a plan-chosen step, in the direction of its mode.</summary>
internal sealed class ScriptClock(ClockMode mode, DateTimeOffset start)
{
    /// <summary>The current instant.</summary>
    public DateTimeOffset Now { get; private set; } = start;

    /// <summary>Moves the clock by a step derived from <paramref name="seed"/> and returns the new instant.</summary>
    public DateTimeOffset Tick(int seed)
    {
        var ms = seed % 13 + 1;
        Now += TimeSpan.FromMilliseconds(mode switch
        {
            ClockMode.Increasing => ms,
            ClockMode.Decreasing => -ms,
            _ => (seed & 1) == 0 ? 2 * ms : -ms,
        });
        return Now;
    }
}
