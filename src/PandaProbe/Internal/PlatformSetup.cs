using PandaProbe.Http;
using System.Collections;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using PandaProbe.Spool;

namespace PandaProbe.Internal;

/// <summary>
/// Resolves the platform settings of a client (options &gt; <c>PANDAPROBE_*</c> &gt; defaults, validated once) and
/// builds the HTTP exporter when an API key and a project name are configured.
/// </summary>
internal static class PlatformSetup
{
    /// <summary>The validated settings; throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static SdkSettings Resolve(PandaProbeOptions options) =>
        EnvironmentSettings.Resolve(Overrides(options), EnvironmentOf(options));

    /// <summary>Every problem <see cref="Resolve"/> would report, without throwing.</summary>
    public static IReadOnlyList<string> Problems(PandaProbeOptions options) =>
        EnvironmentSettings.Problems(Overrides(options), EnvironmentOf(options));

    static IDictionary? EnvironmentOf(PandaProbeOptions options)
    {
        IDictionary? environment = null;
        if (options.EnvironmentVariables is { } vars)
        {
            var table = new Hashtable();
            foreach (var (key, value) in vars)
                if (value is not null) table[key] = value;
            environment = table;
        }
        return environment;
    }

    static SettingsOverrides Overrides(PandaProbeOptions options) =>
        new()
        {
            ApiKey = options.ApiKey,
            ProjectName = options.ProjectName,
            Endpoint = options.Endpoint,
            Environment = options.Environment,
            Release = options.Release,
            Enabled = options.Enabled,
            BatchSize = options.BatchSize,
            FlushInterval = options.FlushInterval,
            MaxQueueSize = options.MaxQueueSize,
            Debug = options.Debug,
            ConnectTimeout = options.ConnectTimeout,
            RequestTimeout = options.RequestTimeout,
            MaxRetries = options.MaxRetries,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = options.MaxBackoff,
            RetryAfterCap = options.RetryAfterCap,
            MaxConcurrentRequests = options.MaxConcurrentRequests,
            ShutdownDeadline = options.ShutdownTimeout,
            LocalFilePath = options.LocalFilePath,
            SampleRate = options.Sampling.Ratio,
            ContentMode = options.ContentMode,
            MaskSecrets = options.Redaction.MaskSecrets,
            FlushOnDispose = options.FlushOnDispose ? true : null,
            LiveMode = options.LiveMode ? true : null,   // on in code wins; off in code leaves it to the environment
            Spool = options.Spool.Enabled,
            SpoolDirectory = options.Spool.Directory,
            MaxValueChars = options.MaxValueChars,
            MaxSpanChars = options.MaxSpanChars,
            MaxTraceChars = options.MaxTraceChars,
        };

    /// <summary>The platform exporter when the settings send to the platform, else null.</summary>
    /// <param name="settings">The resolved settings.</param>
    /// <param name="options">The options (handler factory, clock, error callback, spool).</param>
    /// <param name="fit">The rate-fit sampler that learns the platform's rate from the exporter, if on.</param>
    public static HttpTraceExporter? CreateExporter(SdkSettings settings, PandaProbeOptions options, RateFitSampler? fit = null) =>
        settings.SendsToPlatform
            ? new HttpTraceExporter(settings, new HttpExporterOptions
            {
                HandlerFactory = options.HttpMessageHandlerFactory,
                TimeProvider = options.TimeProvider ?? TimeProvider.System,
                OnError = options.OnError,
                Log = Log,
                Spool = CreateSpool(settings, options),
                OnTraceRate = fit is null ? null : fit.Learn,
            })
            : null;

    /// <summary>
    /// The platform exporter's spool, or null when it is off (its limits were validated with the other options, in
    /// <see cref="ClientSetup.Resolve"/>); throws <see cref="ArgumentException"/> for a directory that is not a path.
    /// </summary>
    public static FileSpool? CreateSpool(SdkSettings settings, PandaProbeOptions options)
    {
        var o = options.Spool;
        if (!settings.Spool) return null;
        var directory = settings.SpoolDirectory.IfNone(() => DefaultSpoolDirectory(settings));
        try { directory = Path.GetFullPath(directory); }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"Spool.Directory ({SettingNames.SpoolDirectory}): '{directory}' is not a valid path: {ex.Message}", nameof(SpoolOptions.Directory), ex);
        }
        return new FileSpool(directory, o.MaxBytes, o.MaxAge, options.TimeProvider, o.FlushToDisk);
    }

    /// <summary>
    /// <c>PandaProbe/spool/&lt;16 hex digits&gt;</c> under the local application data (the temporary directory when there
    /// is none): one directory per endpoint and project, so a process replays only what was meant for its platform.
    /// </summary>
    internal static string DefaultSpoolDirectory(SdkSettings settings)
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(root)) root = Path.GetTempPath();
        var key = System.Text.Encoding.UTF8.GetBytes(settings.Endpoint + "\n" + settings.ProjectName.IfNone(string.Empty));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key))[..16];
        return Path.Combine(root, "PandaProbe", "spool", hash);
    }

    internal static void Log(string line)
    {
        if (SelfLog.IsEnabled) SelfLog.Write(line);
        else
        {
            try { Console.Error.WriteLine("PandaProbe: " + line); } catch { /* stderr may be closed */ }
        }
    }
}
