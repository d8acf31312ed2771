namespace PandaProbe;

public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// Where traces, late spans and scores that cannot be delivered to the platform now are kept (an outage, retries
    /// spent, the shutdown deadline), to be delivered by this or a later process once the platform answers. Used only
    /// when the client sends to the platform.
    /// </summary>
    public SpoolOptions Spool { get; } = new();

    /// <summary>
    /// How long a trace may go without any event before the SDK closes it as abandoned (a forgotten <c>Dispose</c>, a
    /// hung agent): its open spans are ended, it gets an error saying so and the metadata key
    /// <c>pandaprobe_abandoned_after_s</c>, and it is exported like any other; <c>Health.Abandoned</c> counts it. So open
    /// traces cannot pile up in memory. <see cref="Timeout.InfiniteTimeSpan"/> never closes one.
    /// <value>Default: 30 minutes.</value>
    /// </summary>
    public TimeSpan AbandonedTraceTimeout { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>
/// The durable spool of the platform exporter (see <see cref="PandaProbeOptions.Spool"/>). Each undeliverable request
/// is one file, flushed to disk and then published by an atomic rename; a file damaged on disk is detected by its
/// checksum and deleted, never replayed. Files are replayed oldest first; processes sharing the directory lease each
/// file before sending it, so none is sent twice at once.
/// </summary>
public sealed class SpoolOptions
{
    /// <summary>The smallest <see cref="MaxBytes"/> accepted.</summary>
    public const long MinBytes = 64 * 1024;

    /// <summary>
    /// Whether the spool is used. <value>Default: on, unless <c>PANDAPROBE_SPOOL_DIR</c> is <c>off</c>.</value>
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// The spool's directory. <value>Default: <c>PANDAPROBE_SPOOL_DIR</c>, else
    /// <c>PandaProbe/spool/&lt;endpoint and project&gt;</c> under the user's local application data (on Linux
    /// <c>$XDG_DATA_HOME</c> or <c>~/.local/share</c>).</value>
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// The most bytes the spool keeps; when full, its oldest requests are deleted to make room (counted as dropped,
    /// <c>spool_full</c>). <value>Default: 100 MB.</value>
    /// </summary>
    public long MaxBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// How long a request is kept before it is deleted unsent (counted as dropped, <c>spool_expired</c>).
    /// <value>Default: 3 days.</value>
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// Write-ahead: a completed trace is written to the spool before the <c>Dispose</c> that completed it returns, so a
    /// process killed at any moment (a batch job, a SIGKILL, a crash) loses no trace whose <c>Dispose</c> returned: the
    /// next process replays it. It costs the calling thread a file write per trace (and a disk flush with
    /// <see cref="FlushToDisk"/>; see docs/BENCHMARKS.md); the copy is deleted once the platform took the trace.
    /// <value>Default: <c>false</c>.</value>
    /// </summary>
    public bool WriteAhead { get; set; }

    /// <summary>
    /// Flush every spool file to the disk itself before it counts as written, so the spool also survives an
    /// operating-system crash or a power loss. Without it a process that crashes or is killed still loses nothing it
    /// wrote (the files are in the system's cache); only a machine that goes down before the system writes them back
    /// can. A disk flush takes about a millisecond or more per file. <value>Default: <c>false</c>.</value>
    /// </summary>
    public bool FlushToDisk { get; set; }
}
