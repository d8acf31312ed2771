using System.Globalization;
using PandaProbe.Model.Enrichment;

namespace PandaProbe.Model.Settings;

/// <summary>
/// The resolved, validated configuration: immutable, built once by <see cref="Validate"/> from explicit values and
/// the environment (explicit &gt; environment &gt; default). Changing environment variables later has no effect.
/// </summary>
internal sealed record SdkSettings
{
    /// <summary>The default platform endpoint.</summary>
    public const string DefaultEndpoint = "https://api.pandaprobe.com";

    /// <summary>The settings with every default and no credentials.</summary>
    public static SdkSettings Default { get; } = new();

    /// <summary>The API key, if configured. Default: none.</summary>
    public Option<string> ApiKey { get; init; }
    /// <summary>The project name, if configured. Default: none.</summary>
    public Option<string> ProjectName { get; init; }
    /// <summary>The platform's base URL without a trailing slash (a path prefix is kept). Default: <see cref="DefaultEndpoint"/>.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;
    /// <summary>The environment stamped on traces that have none. Default: none.</summary>
    public string? Environment { get; init; }
    /// <summary>The release stamped on traces that have none. Default: none.</summary>
    public string? Release { get; init; }
    /// <summary>Whether tracing is on. Default: <c>true</c>.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>How many items are gathered before a send (≤ 0: each item at once). Default: 10.</summary>
    public int BatchSize { get; init; } = 10;
    /// <summary>The longest wait before gathered items are sent. Default: 5 s.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>The bound of the in-memory queue (≤ 0: unbounded). Default: 1000.</summary>
    public int MaxQueueSize { get; init; } = 1000;
    /// <summary>Verbose diagnostics. Default: <c>false</c>.</summary>
    public bool Debug { get; init; }
    /// <summary>The connect timeout. Default: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>The overall timeout of one request attempt. Default: 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How many times a transient failure (429, 5xx, network) is retried. Default: 3.</summary>
    public int MaxRetries { get; init; } = 3;
    /// <summary>How many times a 404 caused by the platform's ingestion lag is retried. Default: 5.</summary>
    public int MaxIngestionLagRetries { get; init; } = 5;
    /// <summary>The first backoff delay. Default: 0.5 s.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>The longest backoff delay. Default: 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The longest <c>Retry-After</c> honoured. Default: 60 s.</summary>
    public TimeSpan RetryAfterCap { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How many requests may be in flight at once. Default: 4.</summary>
    public int MaxConcurrentRequests { get; init; } = 4;
    /// <summary>How long shutdown may take to deliver what is queued. Default: 10 s.</summary>
    public TimeSpan ShutdownDeadline { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The JSON Lines file used when no platform credentials are configured; none means the exporter's default.</summary>
    public Option<string> LocalFilePath { get; init; }
    /// <summary>The share of traces kept, 0 to 1. Default: 1 (all).</summary>
    public double SampleRate { get; init; } = 1;
    /// <summary>What of the recorded values leaves the process. Default: <see cref="Model.ContentMode.Full"/>.</summary>
    public ContentMode ContentMode { get; init; } = ContentMode.Full;
    /// <summary>
    /// Whether the secrets in every text (API keys, bearer tokens, connection-string and URL passwords) are masked, in
    /// every content mode (<c>PANDAPROBE_MASK_SECRETS</c>). Default: <c>true</c>.
    /// </summary>
    public bool MaskSecrets { get; init; } = true;
    /// <summary>
    /// Whether disposing a trace asynchronously (and <c>TraceAsync</c>) waits until that trace has been delivered
    /// (<c>PANDAPROBE_FLUSH_ON_DISPOSE</c>), for hosts that freeze or stop after the response. Default: <c>false</c>.
    /// </summary>
    public bool FlushOnDispose { get; init; }
    /// <summary>
    /// Live mode (<c>PANDAPROBE_LIVE_MODE</c>): each trace is posted as RUNNING when it starts and its spans are added as
    /// they end, before the completed trace. Default: <c>false</c>.
    /// </summary>
    public bool LiveMode { get; init; }
    /// <summary>Whether requests the platform cannot take now are kept on disk for later (<c>PANDAPROBE_SPOOL_DIR=off</c> turns it off).</summary>
    public bool Spool { get; init; } = true;
    /// <summary>The spool's directory (<c>PANDAPROBE_SPOOL_DIR</c>); None for the default under the local application data.</summary>
    public Option<string> SpoolDirectory { get; init; }
    /// <summary>
    /// How many characters of recorded values leave the process, per value, per span and per trace
    /// (<c>PANDAPROBE_MAX_VALUE_CHARS</c>, <c>PANDAPROBE_MAX_SPAN_CHARS</c>, <c>PANDAPROBE_MAX_TRACE_CHARS</c>).
    /// Default: <see cref="PayloadBudgets.Default"/>.
    /// </summary>
    public PayloadBudgets Budgets { get; init; } = PayloadBudgets.Default;

    /// <summary>An API key as it may be shown: <c>***</c> and its last four characters (only <c>***</c> for a short key).</summary>
    /// <param name="apiKey">The key.</param>
    public static string Mask(string apiKey) => apiKey is { Length: > 8 } ? "***" + apiKey[^4..] : "***";

    /// <summary>Prints the settings with the API key masked (only its last four characters shown).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("ApiKey = ").Append(ApiKey.Match(Mask, () => "None"));
        builder.Append(", ProjectName = ").Append(ProjectName.IfNone("None"));
        builder.Append(", Endpoint = ").Append(Endpoint);
        builder.Append(", Enabled = ").Append(Enabled);
        builder.Append(", Environment = ").Append(Environment ?? "None");
        builder.Append(", Release = ").Append(Release ?? "None");
        builder.Append(", BatchSize = ").Append(BatchSize);
        builder.Append(", FlushInterval = ").Append(FlushInterval);
        builder.Append(", MaxQueueSize = ").Append(MaxQueueSize);
        builder.Append(", RequestTimeout = ").Append(RequestTimeout);
        builder.Append(", MaxRetries = ").Append(MaxRetries);
        builder.Append(", ContentMode = ").Append(ContentMode);
        builder.Append(", MaskSecrets = ").Append(MaskSecrets);
        builder.Append(", FlushOnDispose = ").Append(FlushOnDispose);
        builder.Append(", LiveMode = ").Append(LiveMode);
        builder.Append(", SampleRate = ").Append(SampleRate.ToString(CultureInfo.InvariantCulture));
        builder.Append(", Spool = ").Append(Spool ? SpoolDirectory.IfNone("default") : "off");
        builder.Append(", Budgets = ").Append(Budgets);
        return true;
    }

    /// <summary><c>true</c> when enabled with both an API key and a project name: traces go to the platform.</summary>
    public bool SendsToPlatform => Enabled && ApiKey.IsSome && ProjectName.IsSome;

    /// <summary>The absolute URL of an API path (<c>/traces</c>) under <see cref="Endpoint"/>.</summary>
    /// <param name="path">The path, starting with <c>/</c>.</param>
    public Uri Url(string path) => new(Endpoint + (path.StartsWith('/') ? path : "/" + path), UriKind.Absolute);

    /// <summary>The truthy rule of the Python SDK: <c>true</c>, <c>1</c> or <c>yes</c>, case-insensitive, nothing else.</summary>
    /// <param name="value">The text.</param>
    public static bool IsTruthy(string? value) =>
        value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" ||
                              value.Equals("yes", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Resolves and validates the settings: every error is collected, each naming the option and its environment
    /// variable. Pure: the environment is passed in.
    /// </summary>
    /// <param name="explicitValues">Values given in code; a non-null value wins.</param>
    /// <param name="environment">The <c>PANDAPROBE_*</c> variables (name → value).</param>
    public static Validation<string, SdkSettings> Validate(SettingsOverrides? explicitValues, IReadOnlyDictionary<string, string> environment)
    {
        var o = explicitValues ?? new SettingsOverrides();
        var env = environment ?? new Dictionary<string, string>();
        var errors = new List<string>();
        var d = Default;

        string? Env(string name) => env.TryGetValue(name, out var v) ? v : null;
        static Option<string> NonEmpty(string? v) => string.IsNullOrWhiteSpace(v) ? None : Some(v);

        Option<string> Text(string? given, string name) => given is not null ? NonEmpty(given) : NonEmpty(Env(name));

        bool Flag(bool? given, string name, bool fallback) =>
            given ?? (Env(name) is { } v ? IsTruthy(v) : fallback);

        int Int(int? given, string option, string? name, int fallback, int min)
        {
            var value = fallback;
            string? shown = null;
            if (given is { } g) value = g;
            else if (name is not null && Env(name) is { } text && !string.IsNullOrWhiteSpace(text))
            {
                shown = $"'{text}'";
                if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
                {
                    errors.Add($"{option} ({name}): '{text}' is not an integer.");
                    return fallback;
                }
            }
            if (value < min)
            {
                errors.Add($"{option}{(name is null ? "" : $" ({name})")}: {shown ?? value.ToString(CultureInfo.InvariantCulture)} is below the minimum {min}.");
                return fallback;
            }
            return value;
        }

        TimeSpan Duration(TimeSpan? given, string option, string? name, TimeSpan fallback, bool allowZero)
        {
            var value = fallback;
            string? shown = null;
            if (given is { } g) value = g;
            else if (name is not null && Env(name) is { } text && !string.IsNullOrWhiteSpace(text))
            {
                shown = $"'{text}' seconds";
                if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ||
                    !double.IsFinite(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds / 2)
                {
                    errors.Add($"{option} ({name}): '{text}' is not a number of seconds.");
                    return fallback;
                }
                value = TimeSpan.FromSeconds(seconds);
            }
            if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
            {
                errors.Add($"{option}{(name is null ? "" : $" ({name})")}: {shown ?? value.ToString()} must be {(allowZero ? "zero or positive" : "positive")}.");
                return fallback;
            }
            return value;
        }

        // A count that is unset (null) unless given or read from the environment; a text that is no integer is an error.
        int? Count(int? given, string option, string name)
        {
            if (given is not null) return given;
            if (Env(name) is not { } text || string.IsNullOrWhiteSpace(text)) return null;
            if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
            errors.Add($"{option} ({name}): '{text}' is not an integer.");
            return null;
        }

        double Ratio(double? given)
        {
            var value = 1d;
            string? shown = null;
            if (given is { } g) value = g;
            else if (Env(SettingNames.SampleRate) is { } text && !string.IsNullOrWhiteSpace(text))
            {
                shown = $"'{text}'";
                if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                {
                    errors.Add($"SampleRate ({SettingNames.SampleRate}): '{text}' is not a number.");
                    return 1;
                }
            }
            if (!double.IsFinite(value) || value is < 0 or > 1)
            {
                errors.Add($"SampleRate ({SettingNames.SampleRate}): {shown ?? value.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1.");
                return 1;
            }
            return value;
        }

        ContentMode Mode(ContentMode? given)
        {
            if (given is { } g)
            {
                if (Enum.IsDefined(g)) return g;
                errors.Add($"ContentMode ({SettingNames.ContentMode}): {(int)g} is not a content mode.");
                return ContentMode.Full;
            }
            if (Env(SettingNames.ContentMode) is not { } text || string.IsNullOrWhiteSpace(text)) return ContentMode.Full;
            switch (text.Trim().Replace("-", "_", StringComparison.Ordinal).ToLowerInvariant())
            {
                case "full": return ContentMode.Full;
                case "redacted": return ContentMode.Redacted;
                case "metadata_only" or "metadataonly": return ContentMode.MetadataOnly;
                default:
                    errors.Add($"ContentMode ({SettingNames.ContentMode}): '{text}' is not one of full, redacted, metadata_only.");
                    return ContentMode.Full;
            }
        }

        // A switch that protects by default: a value that is neither true nor false is an error, not silently off.
        bool Switch(bool? given, string option, string name, bool fallback)
        {
            if (given is { } g) return g;
            if (Env(name) is not { } text || string.IsNullOrWhiteSpace(text)) return fallback;
            switch (text.Trim().ToLowerInvariant())
            {
                case "true" or "1" or "yes": return true;
                case "false" or "0" or "no": return false;
                default:
                    errors.Add($"{option} ({name}): '{text}' is neither true nor false.");
                    return fallback;
            }
        }

        var apiKey = Text(o.ApiKey, SettingNames.ApiKey);
        var project = Text(o.ProjectName, SettingNames.ProjectName);
        var endpointText = o.Endpoint is { } e && !string.IsNullOrWhiteSpace(e) ? e : NonEmpty(Env(SettingNames.Endpoint)).IfNone(DefaultEndpoint);
        var endpoint = NormaliseEndpoint(endpointText.Trim());
        if (endpoint.IsNone)
            errors.Add($"Endpoint ({SettingNames.Endpoint}): '{endpointText}' is not an absolute http or https URL without query or fragment.");

        var enabled = Flag(o.Enabled, SettingNames.Enabled, d.Enabled);
        if (enabled)
        {
            if (apiKey.IsSome && project.IsNone)
                errors.Add($"ProjectName ({SettingNames.ProjectName}): a project name is required when an API key is given.");
            if (project.IsSome && apiKey.IsNone)
                errors.Add($"ApiKey ({SettingNames.ApiKey}): an API key is required when a project name is given.");
        }
        apiKey.IfSome(k =>
        {
            if (k.Any(char.IsControl) || k.Any(c => c > 0x7e))
                errors.Add($"ApiKey ({SettingNames.ApiKey}): the key holds characters not allowed in an HTTP header.");
        });
        project.IfSome(p => ProjectNameError(p).IfSome(msg => errors.Add($"ProjectName ({SettingNames.ProjectName}): {msg}")));

        var settings = new SdkSettings
        {
            ApiKey = apiKey,
            ProjectName = project.Map(p => p.Trim()),
            Endpoint = endpoint.IfNone(DefaultEndpoint),
            Environment = Text(o.Environment, SettingNames.Environment).ToNullable(),
            Release = Text(o.Release, SettingNames.Release).ToNullable(),
            Enabled = enabled,
            BatchSize = Int(o.BatchSize, nameof(BatchSize), SettingNames.BatchSize, d.BatchSize, 1),
            FlushInterval = Duration(o.FlushInterval, nameof(FlushInterval), SettingNames.FlushInterval, d.FlushInterval, allowZero: false),
            MaxQueueSize = Int(o.MaxQueueSize, nameof(MaxQueueSize), SettingNames.MaxQueueSize, d.MaxQueueSize, 1),
            Debug = Flag(o.Debug, SettingNames.Debug, d.Debug),
            ConnectTimeout = Duration(o.ConnectTimeout, nameof(ConnectTimeout), null, d.ConnectTimeout, allowZero: false),
            RequestTimeout = Duration(o.RequestTimeout, nameof(RequestTimeout), SettingNames.Timeout, d.RequestTimeout, allowZero: false),
            MaxRetries = Int(o.MaxRetries, nameof(MaxRetries), SettingNames.MaxRetries, d.MaxRetries, 0),
            MaxIngestionLagRetries = Int(o.MaxIngestionLagRetries, nameof(MaxIngestionLagRetries), null, d.MaxIngestionLagRetries, 0),
            InitialBackoff = Duration(o.InitialBackoff, nameof(InitialBackoff), null, d.InitialBackoff, allowZero: true),
            MaxBackoff = Duration(o.MaxBackoff, nameof(MaxBackoff), null, d.MaxBackoff, allowZero: true),
            RetryAfterCap = Duration(o.RetryAfterCap, nameof(RetryAfterCap), null, d.RetryAfterCap, allowZero: true),
            MaxConcurrentRequests = Int(o.MaxConcurrentRequests, nameof(MaxConcurrentRequests), SettingNames.MaxConcurrentRequests, d.MaxConcurrentRequests, 1),
            ShutdownDeadline = Duration(o.ShutdownDeadline, "ShutdownTimeout", null, d.ShutdownDeadline, allowZero: false),
            LocalFilePath = Text(o.LocalFilePath, SettingNames.LocalFile),
            SampleRate = Ratio(o.SampleRate),
            ContentMode = Mode(o.ContentMode),
            MaskSecrets = Switch(o.MaskSecrets, "Redaction.MaskSecrets", SettingNames.MaskSecrets, d.MaskSecrets),
            FlushOnDispose = Switch(o.FlushOnDispose, "FlushOnDispose", SettingNames.FlushOnDispose, d.FlushOnDispose),
            LiveMode = Switch(o.LiveMode, "LiveMode", SettingNames.LiveMode, d.LiveMode),
        };
        var spoolText = o.SpoolDirectory ?? Env(SettingNames.SpoolDirectory);
        var spoolOff = spoolText is not null && spoolText.Trim().ToLowerInvariant() is "off" or "none" or "false" or "0";
        settings = settings with
        {
            Spool = o.Spool ?? !spoolOff,
            SpoolDirectory = spoolOff ? None : NonEmpty(spoolText).Map(t => t.Trim()),
        };
        var budgets = PayloadBudgets.Resolve(
            Count(o.MaxValueChars, nameof(SettingsOverrides.MaxValueChars), SettingNames.MaxValueChars),
            Count(o.MaxSpanChars, nameof(SettingsOverrides.MaxSpanChars), SettingNames.MaxSpanChars),
            Count(o.MaxTraceChars, nameof(SettingsOverrides.MaxTraceChars), SettingNames.MaxTraceChars));
        var budgetProblems = budgets.Problems();
        errors.AddRange(budgetProblems);
        settings = settings with { Budgets = budgetProblems.IsEmpty ? budgets : PayloadBudgets.Default };
        if (settings.MaxBackoff < settings.InitialBackoff)
            errors.Add($"MaxBackoff: {settings.MaxBackoff} is shorter than InitialBackoff {settings.InitialBackoff}.");

        return errors.Count == 0
            ? Success<string, SdkSettings>(settings)
            : Validation<string, SdkSettings>.Fail(errors.ToSeq().Strict());
    }

    /// <summary>The endpoint without trailing slashes, or None when it is not an absolute http(s) URL.</summary>
    /// <param name="endpoint">The endpoint text.</param>
    public static Option<string> NormaliseEndpoint(string endpoint)
    {
        var trimmed = (endpoint ?? string.Empty).Trim().TrimEnd('/');
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) &&
               (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) &&
               !string.IsNullOrEmpty(uri.Host) && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
            ? Some(trimmed)
            : None;
    }

    /// <summary>Why the platform would refuse a project name (its resource-name rule), or None.</summary>
    /// <param name="name">The project name.</param>
    public static Option<string> ProjectNameError(string name)
    {
        var p = (name ?? string.Empty).Trim();
        if (p.Length == 0 || p.Length > Limits.MaxProjectNameLength) return $"the project name must have 1 to {Limits.MaxProjectNameLength} characters.";
        if (!char.IsLetterOrDigit(p[0]) || !char.IsLetterOrDigit(p[^1]))
            return $"the project name '{p}' must start and end with a letter or a digit.";
        return p.All(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_' or '.' or '\'')
            ? None
            : Some($"the project name '{p}' may hold only letters, digits, spaces and - _ . '");
    }
}
