using PandaProbe.Model.Sampling;
using PandaProbe.Redaction;
using System.Reactive.Concurrency;

namespace PandaProbe.Internal;

/// <summary>The resolved, validated configuration of one client.</summary>
internal sealed record ClientSetup(
    bool Enabled, string? Environment, string? Release, bool Debug, PipelineOptions Pipeline,
    IReadOnlyList<ITraceExporter> Exporters, TimeProvider Time, IScheduler? Scheduler, bool RegisterProcessExit,
    TimeSpan ShutdownTimeout, string? Notice, Redactor Redactor, SamplingPolicy Sampling, TimeSpan? FlushOnDispose)
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
        // Every value was checked by the one resolution above (errors name the option and its environment variable),
        // so the pipeline's own guard cannot fire here.
        var pipeline = PipelineOptions.Create(settings.BatchSize, settings.FlushInterval, settings.MaxQueueSize);
        if (options.Scheduler is ImmediateScheduler or CurrentThreadScheduler)
            throw new ArgumentException(
                "Scheduler must run actions later, on its own (not Scheduler.Immediate or Scheduler.CurrentThread).",
                nameof(PandaProbeOptions.Scheduler));
        var sampling = options.Sampling;
        if (sampling.KeepSlowerThan is { } slow && slow <= TimeSpan.Zero)
            throw new ArgumentException("Sampling.KeepSlowerThan must be positive.", nameof(SamplingOptions.KeepSlowerThan));
        if (sampling.KeepCostlierThan is { } costly && (!double.IsFinite(costly) || costly < 0))
            throw new ArgumentException("Sampling.KeepCostlierThan must be a finite amount of zero or more.", nameof(SamplingOptions.KeepCostlierThan));
        if (options.FlushOnDisposeTimeout <= TimeSpan.Zero)
            throw new ArgumentException("FlushOnDisposeTimeout must be positive.", nameof(PandaProbeOptions.FlushOnDisposeTimeout));
        if (options.Redaction.Patterns.Any(p => p is null))
            throw new ArgumentException("Redaction.Patterns holds a null pattern.", nameof(RedactionOptions.Patterns));
        if (options.AbandonedTraceTimeout <= TimeSpan.Zero && options.AbandonedTraceTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentException("AbandonedTraceTimeout must be positive, or Timeout.InfiniteTimeSpan.", nameof(PandaProbeOptions.AbandonedTraceTimeout));
        if (options.Spool.MaxBytes < SpoolOptions.MinBytes)
            throw new ArgumentException($"Spool.MaxBytes must be at least {SpoolOptions.MinBytes} bytes.", nameof(SpoolOptions.MaxBytes));
        if (options.Spool.MaxAge <= TimeSpan.Zero)
            throw new ArgumentException("Spool.MaxAge must be positive.", nameof(SpoolOptions.MaxAge));

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
        var r = options.Redaction;
        var redactor = new Redactor(settings.ContentMode, r.KeyNames, r.MaskEmails, r.MaskCardNumbers, r.MaskApiKeys, r.Patterns, r.Custom);
        var policy = new SamplingPolicy(settings.SampleRate, sampling.KeepErrors, sampling.KeepSlowerThan, sampling.KeepCostlierThan);
        return new ClientSetup(settings.Enabled, settings.Environment, settings.Release,
            settings.Debug, pipeline, exporters, time, options.Scheduler, options.RegisterProcessExitHandler, settings.ShutdownDeadline, notice,
            redactor, policy, options.FlushOnDispose ? options.FlushOnDisposeTimeout : null);
    }

    /// <summary>Writes the local-file notice to standard error, once per process.</summary>
    public void AnnounceOnce()
    {
        if (Notice is null || Interlocked.Exchange(ref noticeShown, 1) != 0) return;
        try { Console.Error.WriteLine(Notice); } catch { /* stderr may be closed */ }
    }
}
