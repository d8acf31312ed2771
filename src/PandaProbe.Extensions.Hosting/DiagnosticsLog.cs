using Microsoft.Extensions.Logging;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// The <see cref="SelfLog"/> writer of a running host: each line goes to an <see cref="ILogger"/> as a warning, at
/// most <c>maxRepeats</c> times per minute for one kind of diagnostic and at most <see cref="MaxLinesPerWindow"/> lines
/// per minute in all; the lines beyond are counted and reported once the minute is over. A kind is the line with what
/// varies per item taken out (<see cref="Kind"/>): quoted names, numbers, and the detail after the first
/// <c>": "</c>, so "exporter 'a' failed: …" and "exporter 'b' failed: …" are one kind. <see cref="Attach"/> and
/// <see cref="Detach"/> swap the process-wide writer in and back out.
/// </summary>
internal sealed class DiagnosticsLog
{
    /// <summary>At most this many kinds are tracked per minute; lines of further kinds share one overflow entry.</summary>
    const int MaxTracked = 256;
    /// <summary>At most this many lines are logged per minute, whatever their kinds.</summary>
    internal const int MaxLinesPerWindow = 100;
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    const string Marker = " PandaProbe: ";
    const string Overflow = "\0overflow";

    readonly ILogger logger;
    readonly int maxRepeats;
    readonly TimeProvider time;
    readonly object gate = new();
    readonly Dictionary<string, Entry> seen = new(StringComparer.Ordinal);
    readonly Action<string> writer;
    Action<string>? previous;
    DateTimeOffset windowStart;
    int loggedInWindow;

    sealed class Entry(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Count;
        public long Suppressed;
        /// <summary>The last line of this kind that was not logged, shown with the count.</summary>
        public string LastSuppressed = "";
    }

    public DiagnosticsLog(ILogger logger, int maxRepeats, TimeProvider time)
    {
        this.logger = logger;
        this.maxRepeats = Math.Max(1, maxRepeats);
        this.time = time;
        writer = Write;
        windowStart = time.GetUtcNow();
    }

    /// <summary>Makes this the <see cref="SelfLog"/> writer, remembering the one it replaces.</summary>
    public void Attach()
    {
        previous = SelfLog.Writer;
        SelfLog.Enable(writer);
    }

    /// <summary>Reports the suppressed lines and puts the previous writer back, unless another was set since.</summary>
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
            pending = seen.Values.Where(e => e.Suppressed > 0).Select(e => (e.LastSuppressed, e.Suppressed)).ToList();
            seen.Clear();
        }
        foreach (var (text, count) in pending) LogSuppressed(text, count);
    }

    /// <summary>
    /// The kind of a diagnostic: the text before the first <c>": "</c> (what follows is usually an exception's
    /// message), with quoted parts and digits replaced.
    /// </summary>
    internal static string Kind(string text)
    {
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        var head = colon >= 0 ? text.AsSpan(0, colon) : text.AsSpan();
        var kind = new System.Text.StringBuilder(head.Length);
        var quoted = false;
        for (var i = 0; i < head.Length; i++)
        {
            var c = head[i];
            if (c == '\'')
            {
                // A quote opens a quoted part only when another closes it ("can't" is not a quote).
                if (quoted || head[(i + 1)..].IndexOf('\'') >= 0) quoted = !quoted;
                kind.Append(c);
                continue;
            }
            if (quoted) continue;
            if (char.IsAsciiDigit(c)) { if (kind.Length == 0 || kind[^1] != '#') kind.Append('#'); continue; }
            kind.Append(c);
        }
        return kind.ToString();
    }

    /// <summary>One <see cref="SelfLog"/> line (its timestamp and prefix are left to the logger).</summary>
    internal void Write(string line)
    {
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        var text = at >= 0 ? line[(at + Marker.Length)..] : line;
        var kind = Kind(text);
        var now = time.GetUtcNow();
        List<(string Text, long Count)>? expired = null;
        bool log;
        lock (gate)
        {
            if (now - windowStart >= Window)
            {
                windowStart = now;
                loggedInWindow = 0;
                if (seen.TryGetValue(Overflow, out var over) && over.Suppressed > 0)
                {
                    (expired ??= new()).Add((over.LastSuppressed, over.Suppressed));
                    over.Suppressed = 0;
                    over.Start = now;
                    over.Count = 0;
                }
            }
            if (!seen.TryGetValue(kind, out var entry))
            {
                if (seen.Count >= MaxTracked) (expired ??= new()).AddRange(Sweep(now));
                if (seen.Count >= MaxTracked) kind = Overflow;
                if (!seen.TryGetValue(kind, out entry))
                {
                    entry = new Entry(now);
                    seen[kind] = entry;
                }
            }
            if (now - entry.Start >= Window)
            {
                if (entry.Suppressed > 0) (expired ??= new()).Add((entry.LastSuppressed, entry.Suppressed));
                entry.Start = now;
                entry.Count = 0;
                entry.Suppressed = 0;
            }
            var withinKind = ++entry.Count <= maxRepeats;
            log = withinKind && loggedInWindow < MaxLinesPerWindow;
            if (log) loggedInWindow++;
            else
            {
                // Over the overall cap, lines of every kind are counted together: one report, not one per kind.
                if (withinKind && !seen.TryGetValue(Overflow, out var overflow))
                {
                    overflow = new Entry(now);
                    seen[Overflow] = overflow;
                }
                else if (withinKind) overflow = seen[Overflow];
                else overflow = entry;
                overflow.Suppressed++;
                overflow.LastSuppressed = text;
            }
        }
        if (expired is not null)
            foreach (var (suppressedText, count) in expired) LogSuppressed(suppressedText, count);
        if (log) logger.LogWarning("{Diagnostic}", text);
    }

    /// <summary>Forgets the kinds whose minute is over; returns their suppressed counts to report.</summary>
    List<(string Text, long Count)> Sweep(DateTimeOffset now)
    {
        var report = new List<(string Text, long Count)>();
        foreach (var (kind, entry) in seen.Where(e => now - e.Value.Start >= Window).ToList())
        {
            seen.Remove(kind);
            if (entry.Suppressed > 0) report.Add((entry.LastSuppressed, entry.Suppressed));
        }
        return report;
    }

    void LogSuppressed(string text, long count) =>
        logger.LogWarning("{Suppressed} more diagnostics like this were not logged (at most {Limit} of a kind and {Total} in all a minute): {Diagnostic}",
            count, maxRepeats, MaxLinesPerWindow, text);
}
