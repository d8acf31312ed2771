namespace PandaProbe.Http;

/// <summary>
/// A log line that may repeat under load, written at most once per <see cref="Every"/>: the first occurrence at once,
/// later ones summed into the next line.
/// </summary>
internal sealed class RateLimitedLog(Action<string> log, TimeProvider time)
{
    /// <summary>The shortest time between two lines of one key.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private readonly object gate = new();
    private readonly Dictionary<string, (DateTimeOffset Last, long Pending)> keys = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="count"/> to <paramref name="key"/>'s total and writes a line when one is due.</summary>
    public void Write(string key, Func<long, string> line, long count = 1)
    {
        long total;
        lock (gate)
        {
            var now = time.GetUtcNow();
            keys.TryGetValue(key, out var state);
            total = state.Pending + count;
            if (state.Last != default && now - state.Last < Every)
            {
                keys[key] = (state.Last, total);
                return;
            }
            keys[key] = (now, 0);
        }
        try { log(line(total)); } catch { /* logging must not break delivery */ }
    }
}
