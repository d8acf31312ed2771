using Microsoft.Extensions.Logging;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// The <see cref="SelfLog"/> writer of a running host: each line goes to an <see cref="ILogger"/> as a warning, at
/// most <c>maxRepeats</c> times per minute for one text; the repeats beyond that are counted and reported once the
/// minute is over. <see cref="Attach"/> and <see cref="Detach"/> swap the process-wide writer in and back out.
/// </summary>
internal sealed class DiagnosticsLog
{
    /// <summary>At most this many distinct texts are tracked per minute; beyond, lines are logged unlimited.</summary>
    const int MaxTracked = 1024;
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    const string Marker = " PandaProbe: ";

    readonly ILogger logger;
    readonly int maxRepeats;
    readonly TimeProvider time;
    readonly object gate = new();
    readonly Dictionary<string, Entry> seen = new(StringComparer.Ordinal);
    readonly Action<string> writer;
    Action<string>? previous;

    sealed class Entry(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Count;
        public long Suppressed;
    }

    public DiagnosticsLog(ILogger logger, int maxRepeats, TimeProvider time)
    {
        this.logger = logger;
        this.maxRepeats = Math.Max(1, maxRepeats);
        this.time = time;
        writer = Write;
    }

    /// <summary>Makes this the <see cref="SelfLog"/> writer, remembering the one it replaces.</summary>
    public void Attach()
    {
        previous = SelfLog.Writer;
        SelfLog.Enable(writer);
    }

    /// <summary>Reports the suppressed repeats and puts the previous writer back, unless another was set since.</summary>
    public void Detach()
    {
        if (ReferenceEquals(SelfLog.Writer, writer))
        {
            if (previous is null) SelfLog.Disable();
            else SelfLog.Enable(previous);
        }
        List<(string Text, long Count)> pending;
        lock (gate)
        {
            pending = seen.Where(e => e.Value.Suppressed > 0).Select(e => (e.Key, e.Value.Suppressed)).ToList();
            seen.Clear();
        }
        foreach (var (text, count) in pending) LogSuppressed(text, count);
    }

    /// <summary>One <see cref="SelfLog"/> line (its timestamp and prefix are left to the logger).</summary>
    internal void Write(string line)
    {
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        var text = at >= 0 ? line[(at + Marker.Length)..] : line;
        var now = time.GetUtcNow();
        long expired = 0;
        bool log;
        lock (gate)
        {
            if (!seen.TryGetValue(text, out var entry))
            {
                if (seen.Count >= MaxTracked) Sweep(now);
                entry = new Entry(now);
                if (seen.Count < MaxTracked) seen[text] = entry;
            }
            else if (now - entry.Start >= Window)
            {
                expired = entry.Suppressed;
                entry.Start = now;
                entry.Count = 0;
                entry.Suppressed = 0;
            }
            log = ++entry.Count <= maxRepeats;
            if (!log) entry.Suppressed++;
        }
        if (expired > 0) LogSuppressed(text, expired);
        if (log) logger.LogWarning("{Diagnostic}", text);
    }

    /// <summary>Forgets the texts whose minute is over (reporting their suppressed repeats).</summary>
    void Sweep(DateTimeOffset now)
    {
        foreach (var (text, entry) in seen.Where(e => now - e.Value.Start >= Window).ToList())
        {
            seen.Remove(text);
            if (entry.Suppressed > 0) LogSuppressed(text, entry.Suppressed);
        }
    }

    void LogSuppressed(string text, long count) =>
        logger.LogWarning("{Suppressed} more of this diagnostic were not logged (limit {Limit} a minute): {Diagnostic}",
            count, maxRepeats, text);
}
