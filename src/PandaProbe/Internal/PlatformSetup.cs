using System.Collections;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;

namespace PandaProbe.Internal;

/// <summary>
/// Resolves the platform settings of a client (options &gt; <c>PANDAPROBE_*</c> &gt; defaults, validated once) and
/// builds the HTTP exporter when an API key and a project name are configured.
/// </summary>
internal static class PlatformSetup
{
    /// <summary>The validated settings; throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static SdkSettings Resolve(PandaProbeOptions options)
    {
        IDictionary? environment = null;
        if (options.EnvironmentVariables is { } vars)
        {
            var table = new Hashtable();
            foreach (var (key, value) in vars)
                if (value is not null) table[key] = value;
            environment = table;
        }
        return EnvironmentSettings.Resolve(new SettingsOverrides
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
        }, environment);
    }

    /// <summary>The platform exporter when the settings send to the platform, else null.</summary>
    public static HttpTraceExporter? CreateExporter(SdkSettings settings, PandaProbeOptions options) =>
        settings.SendsToPlatform
            ? new HttpTraceExporter(settings, new HttpExporterOptions
            {
                HandlerFactory = options.HttpMessageHandlerFactory,
                TimeProvider = options.TimeProvider ?? TimeProvider.System,
                OnError = options.OnError,
                Log = Log,
            })
            : null;

    private static void Log(string line)
    {
        if (SelfLog.IsEnabled) SelfLog.Write(line);
        else
        {
            try { Console.Error.WriteLine("PandaProbe: " + line); } catch { /* stderr may be closed */ }
        }
    }
}
