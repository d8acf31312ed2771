using System.Reactive.Concurrency;

namespace PandaProbe.Internal;

/// <summary>The resolved, validated configuration of one client.</summary>
internal sealed record ClientSetup(
    bool Enabled, string? Environment, string? Release, bool Debug, PipelineOptions Pipeline,
    IReadOnlyList<ITraceExporter> Exporters, TimeProvider Time, IScheduler? Scheduler, bool RegisterProcessExit,
    TimeSpan ShutdownTimeout, string? Notice)
{
    static int noticeShown;

    /// <summary>
    /// Resolves options over the environment over defaults (one reader of <c>PANDAPROBE_*</c>:
    /// <see cref="PlatformSetup.Resolve"/>); throws <see cref="ArgumentException"/> naming a bad setting.
    /// </summary>
    public static ClientSetup Resolve(PandaProbeOptions options)
    {
        var settings = PlatformSetup.Resolve(options);
        var time = options.TimeProvider ?? TimeProvider.System;
        PipelineOptions pipeline;
        try
        {
            pipeline = PipelineOptions.Create(settings.BatchSize, settings.FlushInterval, settings.MaxQueueSize);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            var setting = ex.ParamName switch
            {
                "batchSize" => nameof(PandaProbeOptions.BatchSize),
                "flushInterval" => nameof(PandaProbeOptions.FlushInterval),
                "maxQueueSize" => nameof(PandaProbeOptions.MaxQueueSize),
                _ => ex.ParamName,
            };
            throw new ArgumentException($"Invalid PandaProbe setting {setting}: {ex.Message}", setting, ex);
        }
        if (options.Scheduler is ImmediateScheduler or CurrentThreadScheduler)
            throw new ArgumentException(
                "Scheduler must run actions later, on its own (not Scheduler.Immediate or Scheduler.CurrentThread).",
                nameof(PandaProbeOptions.Scheduler));
        if (options.ShutdownTimeout <= TimeSpan.Zero)
            throw new ArgumentException("ShutdownTimeout must be positive.", nameof(PandaProbeOptions.ShutdownTimeout));

        var exporters = new List<ITraceExporter>(options.Exporters.Where(x => x is not null));
        string? notice = null;
        if (settings.Enabled && exporters.Count == 0 && PlatformSetup.CreateExporter(settings, options) is { } http)
            exporters.Add(http);
        else if (settings.Enabled && exporters.Count == 0)
        {
            var path = Path.GetFullPath(settings.LocalFilePath.IfNone(FileTraceExporter.DefaultPath));
            exporters.Add(new FileTraceExporter(path));
            notice = $"PandaProbe: no API key and project configured; traces are written to {path}";
        }
        return new ClientSetup(settings.Enabled, settings.Environment.ToNullable(), settings.Release.ToNullable(),
            settings.Debug, pipeline, exporters, time, options.Scheduler, options.RegisterProcessExitHandler, options.ShutdownTimeout, notice);
    }

    /// <summary>Writes the local-file notice to standard error, once per process.</summary>
    public void AnnounceOnce()
    {
        if (Notice is null || Interlocked.Exchange(ref noticeShown, 1) != 0) return;
        try { Console.Error.WriteLine(Notice); } catch { /* stderr may be closed */ }
    }
}
