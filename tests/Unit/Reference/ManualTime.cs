namespace PandaProbe.Unit.ReferenceSystems;

/// <summary>A clock the test moves by hand (timers still run on the system clock).</summary>
sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    long ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(double seconds) => Interlocked.Add(ref ticks, TimeSpan.FromSeconds(seconds).Ticks);
}
