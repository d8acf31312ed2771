using System.Globalization;

namespace PandaProbe.Internal;

/// <summary>The resolved, validated configuration of one client.</summary>
internal sealed record ClientSetup(
    bool Enabled, string? Environment, string? Release, bool Debug, PipelineOptions Pipeline,
    IReadOnlyList<ITraceExporter> Exporters, TimeProvider Time, bool RegisterProcessExit, TimeSpan ShutdownTimeout,
    string? Notice)
{
    static int noticeShown;

    /// <summary>Resolves options over the environment over defaults; throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static ClientSetup Resolve(PandaProbeOptions options)
    {
        string? Env(string name)
        {
            var v = options.EnvironmentVariables is { } vars
                ? (vars.TryGetValue(name, out var x) ? x : null)
                : System.Environment.GetEnvironmentVariable(name);
            return string.IsNullOrEmpty(v) ? null : v;
        }
        static bool Truthy(string v) => v.ToLowerInvariant() is "true" or "1" or "yes";
        int? EnvInt(string name)
        {
            var v = Env(name);
            if (v is null) return null;
            return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? n : throw new ArgumentException($"{name} must be an integer, got '{v}'.", name);
        }

        var enabled = options.Enabled ?? (Env("PANDAPROBE_ENABLED") is { } e ? Truthy(e) : true);
        var debug = options.Debug ?? (Env("PANDAPROBE_DEBUG") is { } d && Truthy(d));
        var time = options.TimeProvider ?? TimeProvider.System;
        var batch = options.BatchSize ?? EnvInt("PANDAPROBE_BATCH_SIZE") ?? PipelineOptions.DefaultBatchSize;
        TimeSpan interval;
        if (options.FlushInterval is { } fi) interval = fi;
        else if (Env("PANDAPROBE_FLUSH_INTERVAL") is { } fs)
            interval = double.TryParse(fs, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && double.IsFinite(secs) && secs > 0
                ? TimeSpan.FromSeconds(secs)
                : throw new ArgumentException($"PANDAPROBE_FLUSH_INTERVAL must be a positive number of seconds, got '{fs}'.", "PANDAPROBE_FLUSH_INTERVAL");
        else interval = PipelineOptions.DefaultFlushInterval;
        var queue = options.MaxQueueSize ?? EnvInt("PANDAPROBE_MAX_QUEUE_SIZE") ?? PipelineOptions.DefaultMaxQueueSize;
        var events = options.EventQueueCapacity ?? PipelineOptions.DefaultEventQueueCapacity;

        PipelineOptions pipeline;
        try { pipeline = PipelineOptions.Create(batch, interval, queue, events); }
        catch (ArgumentOutOfRangeException ex)
        {
            var setting = ex.ParamName switch
            {
                "batchSize" => nameof(PandaProbeOptions.BatchSize),
                "flushInterval" => nameof(PandaProbeOptions.FlushInterval),
                "maxQueueSize" => nameof(PandaProbeOptions.MaxQueueSize),
                "eventQueueCapacity" => nameof(PandaProbeOptions.EventQueueCapacity),
                _ => ex.ParamName,
            };
            throw new ArgumentException($"Invalid PandaProbe setting {setting}: {ex.Message}", setting, ex);
        }
        if (options.ShutdownTimeout <= TimeSpan.Zero)
            throw new ArgumentException("ShutdownTimeout must be positive.", nameof(PandaProbeOptions.ShutdownTimeout));

        var exporters = new List<ITraceExporter>(options.Exporters.Where(x => x is not null));
        var platform = PlatformSetup.Resolve(options, enabled, debug);
        string? notice = null;
        if (enabled && exporters.Count == 0 && PlatformSetup.CreateExporter(platform, options) is { } http)
            exporters.Add(http);
        else if (enabled && exporters.Count == 0)
        {
            var path = Path.GetFullPath(options.LocalFilePath ?? Env("PANDAPROBE_LOCAL_FILE") ?? FileTraceExporter.DefaultPath);
            exporters.Add(new FileTraceExporter(path));
            notice = $"PandaProbe: no API key and project configured; traces are written to {path}";
        }
        return new ClientSetup(enabled, options.Environment ?? Env("PANDAPROBE_ENVIRONMENT"),
            options.Release ?? Env("PANDAPROBE_RELEASE"), debug, pipeline, exporters, time,
            options.RegisterProcessExitHandler, options.ShutdownTimeout, notice);
    }

    /// <summary>Writes the local-file notice to standard error, once per process.</summary>
    public void AnnounceOnce()
    {
        if (Notice is null || Interlocked.Exchange(ref noticeShown, 1) != 0) return;
        try { Console.Error.WriteLine(Notice); } catch { /* stderr may be closed */ }
    }
}
