using System.Reactive.Concurrency;

namespace PandaProbe;

/// <summary>
/// Settings for a <see cref="PandaProbeClient"/>. Every property left <c>null</c> falls back to its
/// <c>PANDAPROBE_*</c> environment variable, then to the default (explicit option &gt; environment &gt; default).
/// Values are validated once, when the client is built: an invalid value is an <see cref="ArgumentException"/>
/// naming the setting, never a failure later on a background thread.
/// </summary>
public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// Checks these options (over the environment) as building a client would, without building one or touching any
    /// file or connection. Each problem starts with the option's name (<c>Sampling.KeepSlowerThan</c> for a nested
    /// one), followed, for a setting read from the environment too, by its variable in parentheses
    /// (<c>BatchSize (PANDAPROBE_BATCH_SIZE): …</c>).
    /// </summary>
    /// <returns>Every problem found; empty when a client can be built from these options.</returns>
    public IReadOnlyList<string> Validate() => Internal.ClientSetup.Problems(this);

    /// <summary>Whether tracing is on. <value>Default: <c>PANDAPROBE_ENABLED</c>, else <c>true</c>.</value></summary>
    public bool? Enabled { get; set; }

    /// <summary>The platform API key. <value>Default: <c>PANDAPROBE_API_KEY</c>.</value></summary>
    public string? ApiKey { get; set; }

    /// <summary>The platform project name. <value>Default: <c>PANDAPROBE_PROJECT_NAME</c>.</value></summary>
    public string? ProjectName { get; set; }

    /// <summary>The platform base URL. <value>Default: <c>PANDAPROBE_ENDPOINT</c>, else <c>https://api.pandaprobe.com</c>.</value></summary>
    public string? Endpoint { get; set; }

    /// <summary>Stamped on traces that have none. <value>Default: <c>PANDAPROBE_ENVIRONMENT</c>.</value></summary>
    public string? Environment { get; set; }

    /// <summary>Stamped on traces that have none. <value>Default: <c>PANDAPROBE_RELEASE</c>.</value></summary>
    public string? Release { get; set; }

    /// <summary>Items per export call. <value>Default: <c>PANDAPROBE_BATCH_SIZE</c>, else 10.</value></summary>
    public int? BatchSize { get; set; }

    /// <summary>Longest wait before pending items are exported. <value>Default: <c>PANDAPROBE_FLUSH_INTERVAL</c> (seconds), else 5 s.</value></summary>
    public TimeSpan? FlushInterval { get; set; }

    /// <summary>Completed items held for export before the oldest is dropped. <value>Default: <c>PANDAPROBE_MAX_QUEUE_SIZE</c>, else 1000.</value></summary>
    public int? MaxQueueSize { get; set; }

    /// <summary>Writes SDK diagnostics to standard error. <value>Default: <c>PANDAPROBE_DEBUG</c>, else <c>false</c>.</value></summary>
    public bool? Debug { get; set; }

    /// <summary>
    /// The JSON Lines file used when no platform key and project are configured.
    /// <value>Default: <c>PANDAPROBE_LOCAL_FILE</c>, else <c>pandaprobe-traces.jsonl</c> in the current directory.</value>
    /// </summary>
    public string? LocalFilePath { get; set; }

    /// <summary>
    /// Exporters to use. When any are given they replace the default exporter (platform or local file).
    /// <value>Default: empty.</value>
    /// </summary>
    public IList<ITraceExporter> Exporters { get; } = new List<ITraceExporter>();

    /// <summary>The clock for timestamps, export deadlines and flush timeouts (tests pass a fake one). <value>Default: the system clock.</value></summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Where the export side runs: batches are cut and exported, and the flush interval is timed, on this scheduler
    /// (tests pass a <c>HistoricalScheduler</c> to run it in virtual time). It must run actions later, on its own:
    /// <c>Scheduler.Immediate</c> and <c>Scheduler.CurrentThread</c> are refused.
    /// <value>Default: one background thread of the client's own, which sleeps until a batch is due.</value>
    /// </summary>
    public IScheduler? Scheduler { get; set; }

    /// <summary>Flush and shut down when the process exits. <value>Default: <c>true</c>.</value></summary>
    public bool RegisterProcessExitHandler { get; set; } = true;

    /// <summary>Deadline for the drain at shutdown and process exit. <value>Default: 10 s.</value></summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The environment variables to read (tests pass their own). <value>Default: the process environment.</value></summary>
    public IReadOnlyDictionary<string, string?>? EnvironmentVariables { get; set; }

    /// <summary>
    /// Whether a trace started while <see cref="System.Diagnostics.Activity.Current"/> has W3C ids (an ASP.NET Core
    /// request, an OpenTelemetry span) gets them in its metadata, as <c>activity_trace_id</c> and
    /// <c>activity_span_id</c> (metadata given to <c>StartTrace</c> under those keys wins), so a trace can be found from
    /// the request's logs and distributed trace. <value>Default: off; <c>AddPandaProbe</c> in a host turns it on
    /// unless set.</value>
    /// </summary>
    public bool? CaptureActivityContext { get; set; }

    /// <summary>
    /// Processors told about every trace and span start and end, in order, on a background thread (OpenAI Agents
    /// style). A throwing processor is isolated and counted; it never affects export or your code.
    /// <value>Default: empty.</value>
    /// </summary>
    public IList<ITraceProcessor> Processors { get; } = new List<ITraceProcessor>();

    /// <summary>
    /// How many completed sub-agent traces (traces started while another was open) the client keeps so that the
    /// parent's <c>TraceContext.Summary()</c> and <c>PrintTree()</c> can roll them up (the oldest are forgotten
    /// first). A trace describes itself without this; traces without a parent are never kept.
    /// <value>Default: 1000; 0 keeps none.</value>
    /// </summary>
    public int CompletedTraceRetention { get; set; } = 1000;
}
