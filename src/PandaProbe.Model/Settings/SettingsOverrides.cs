namespace PandaProbe.Model.Settings;

/// <summary>
/// Explicitly given settings (from code). A non-null value wins over the environment variable, which wins over the
/// default. Plain C# types so the facade's options can map onto it directly.
/// </summary>
internal sealed record SettingsOverrides
{
    /// <summary>The API key.</summary>
    public string? ApiKey { get; init; }
    /// <summary>The project name.</summary>
    public string? ProjectName { get; init; }
    /// <summary>The platform's base URL.</summary>
    public string? Endpoint { get; init; }
    /// <summary>The environment stamped on traces that have none.</summary>
    public string? Environment { get; init; }
    /// <summary>The release stamped on traces that have none.</summary>
    public string? Release { get; init; }
    /// <summary>Whether tracing is on.</summary>
    public bool? Enabled { get; init; }
    /// <summary>How many items are gathered before a send.</summary>
    public int? BatchSize { get; init; }
    /// <summary>The longest wait before gathered items are sent.</summary>
    public TimeSpan? FlushInterval { get; init; }
    /// <summary>The bound of the in-memory queue.</summary>
    public int? MaxQueueSize { get; init; }
    /// <summary>Verbose diagnostics.</summary>
    public bool? Debug { get; init; }
    /// <summary>The connect timeout.</summary>
    public TimeSpan? ConnectTimeout { get; init; }
    /// <summary>The overall timeout of one request.</summary>
    public TimeSpan? RequestTimeout { get; init; }
    /// <summary>How many times a transient failure is retried.</summary>
    public int? MaxRetries { get; init; }
    /// <summary>How many times a 404 caused by the platform's ingestion lag is retried.</summary>
    public int? MaxIngestionLagRetries { get; init; }
    /// <summary>The first backoff delay.</summary>
    public TimeSpan? InitialBackoff { get; init; }
    /// <summary>The longest backoff delay.</summary>
    public TimeSpan? MaxBackoff { get; init; }
    /// <summary>The longest <c>Retry-After</c> honoured.</summary>
    public TimeSpan? RetryAfterCap { get; init; }
    /// <summary>How many requests may be in flight at once.</summary>
    public int? MaxConcurrentRequests { get; init; }
    /// <summary>How long shutdown may take to deliver what is queued.</summary>
    public TimeSpan? ShutdownDeadline { get; init; }
    /// <summary>The JSON Lines file used when no platform credentials are configured.</summary>
    public string? LocalFilePath { get; init; }
    /// <summary>The share of traces kept, 0 to 1.</summary>
    public double? SampleRate { get; init; }
    /// <summary>What of the recorded values leaves the process.</summary>
    public ContentMode? ContentMode { get; init; }
    /// <summary>Whether the secrets in every text are masked in every content mode.</summary>
    public bool? MaskSecrets { get; init; }
    /// <summary><see cref="SdkSettings.FlushOnDispose"/>.</summary>
    public bool? FlushOnDispose { get; init; }
    /// <summary><see cref="SdkSettings.LiveMode"/>.</summary>
    public bool? LiveMode { get; init; }
    /// <summary><see cref="SdkSettings.Spool"/>.</summary>
    public bool? Spool { get; init; }
    /// <summary><see cref="SdkSettings.SpoolDirectory"/> (<c>off</c> turns the spool off).</summary>
    public string? SpoolDirectory { get; init; }
    /// <summary>The most characters one input, output or metadata value keeps.</summary>
    public int? MaxValueChars { get; init; }
    /// <summary>The most characters the input and output of one span keep together.</summary>
    public int? MaxSpanChars { get; init; }
    /// <summary>The most characters the inputs and outputs of one trace and its spans keep together.</summary>
    public int? MaxTraceChars { get; init; }

    /// <summary>Prints the values given, with the API key masked (only its last four characters shown).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var first = true;
        void Add(string name, object? value)
        {
            if (value is null) return;
            if (!first) builder.Append(", ");
            builder.Append(name).Append(" = ").Append(value);
            first = false;
        }
        Add(nameof(ApiKey), ApiKey is null ? null : SdkSettings.Mask(ApiKey));
        Add(nameof(ProjectName), ProjectName);
        Add(nameof(Endpoint), Endpoint);
        Add(nameof(Environment), Environment);
        Add(nameof(Release), Release);
        Add(nameof(Enabled), Enabled);
        Add(nameof(BatchSize), BatchSize);
        Add(nameof(FlushInterval), FlushInterval);
        Add(nameof(MaxQueueSize), MaxQueueSize);
        Add(nameof(RequestTimeout), RequestTimeout);
        Add(nameof(MaxRetries), MaxRetries);
        Add(nameof(LocalFilePath), LocalFilePath);
        Add(nameof(SampleRate), SampleRate);
        Add(nameof(ContentMode), ContentMode);
        Add(nameof(MaskSecrets), MaskSecrets);
        Add(nameof(FlushOnDispose), FlushOnDispose);
        Add(nameof(LiveMode), LiveMode);
        Add(nameof(SpoolDirectory), SpoolDirectory);
        Add(nameof(MaxValueChars), MaxValueChars);
        Add(nameof(MaxSpanChars), MaxSpanChars);
        Add(nameof(MaxTraceChars), MaxTraceChars);
        return true;
    }
}
