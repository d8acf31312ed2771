namespace PandaProbe.Model.Settings;

/// <summary>The environment variables PandaProbe reads: the ten shared with the Python SDK, then .NET-only ones.</summary>
internal static class SettingNames
{
    /// <summary>The prefix every PandaProbe variable starts with.</summary>
    public const string Prefix = "PANDAPROBE_";
    /// <summary>The organisation API key (<c>sk_pp_…</c>).</summary>
    public const string ApiKey = "PANDAPROBE_API_KEY";
    /// <summary>The project traces are filed under (created by the platform if absent).</summary>
    public const string ProjectName = "PANDAPROBE_PROJECT_NAME";
    /// <summary>The platform's base URL.</summary>
    public const string Endpoint = "PANDAPROBE_ENDPOINT";
    /// <summary>The environment stamped on traces that have none.</summary>
    public const string Environment = "PANDAPROBE_ENVIRONMENT";
    /// <summary>The release stamped on traces that have none.</summary>
    public const string Release = "PANDAPROBE_RELEASE";
    /// <summary>Whether tracing is on (<c>true</c>, <c>1</c> or <c>yes</c>; anything else is off).</summary>
    public const string Enabled = "PANDAPROBE_ENABLED";
    /// <summary>How many items are gathered before a send.</summary>
    public const string BatchSize = "PANDAPROBE_BATCH_SIZE";
    /// <summary>The longest wait, in seconds, before gathered items are sent.</summary>
    public const string FlushInterval = "PANDAPROBE_FLUSH_INTERVAL";
    /// <summary>The bound of the in-memory queue.</summary>
    public const string MaxQueueSize = "PANDAPROBE_MAX_QUEUE_SIZE";
    /// <summary>Verbose diagnostics.</summary>
    public const string Debug = "PANDAPROBE_DEBUG";
    /// <summary>(.NET) The overall timeout of one HTTP request, in seconds (the name the PandaProbe CLI uses).</summary>
    public const string Timeout = "PANDAPROBE_TIMEOUT";
    /// <summary>(.NET) How many times a transient failure is retried.</summary>
    public const string MaxRetries = "PANDAPROBE_MAX_RETRIES";
    /// <summary>(.NET) How many requests may be in flight at once.</summary>
    public const string MaxConcurrentRequests = "PANDAPROBE_MAX_CONCURRENT_REQUESTS";
    /// <summary>(.NET) The JSON Lines file used when no platform credentials are configured.</summary>
    public const string LocalFile = "PANDAPROBE_LOCAL_FILE";
    /// <summary>(.NET) The share of traces kept, 0 to 1.</summary>
    public const string SampleRate = "PANDAPROBE_SAMPLE_RATE";
    /// <summary>(.NET) What of the recorded values leaves the process: <c>full</c>, <c>redacted</c> or <c>metadata_only</c>.</summary>
    public const string ContentMode = "PANDAPROBE_CONTENT_MODE";
    /// <summary>(.NET) Whether the secrets in every text are masked in every content mode: <c>true</c> or <c>false</c>.</summary>
    public const string MaskSecrets = "PANDAPROBE_MASK_SECRETS";
    /// <summary>(.NET) Whether disposing a trace asynchronously waits until it has been delivered: <c>true</c> or <c>false</c>.</summary>
    public const string FlushOnDispose = "PANDAPROBE_FLUSH_ON_DISPOSE";
    /// <summary>(.NET) Live mode: traces are shown on the platform while they run: <c>true</c> or <c>false</c>.</summary>
    public const string LiveMode = "PANDAPROBE_LIVE_MODE";
    /// <summary>The spool's directory, or <c>off</c> to deliver without one.</summary>
    public const string SpoolDirectory = "PANDAPROBE_SPOOL_DIR";
    /// <summary>(.NET) The most characters one input, output or metadata value keeps on the export side.</summary>
    public const string MaxValueChars = "PANDAPROBE_MAX_VALUE_CHARS";
    /// <summary>(.NET) The most characters the input and output of one span keep together.</summary>
    public const string MaxSpanChars = "PANDAPROBE_MAX_SPAN_CHARS";
    /// <summary>(.NET) The most characters the inputs and outputs of one trace and its spans keep together.</summary>
    public const string MaxTraceChars = "PANDAPROBE_MAX_TRACE_CHARS";
}
