using PandaProbe.Model.Enrichment;
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

    /// <summary>The size budgets the enrichment fits recorded values to (<c>MaxValueChars</c>, <c>MaxSpanChars</c>, <c>MaxTraceChars</c>).</summary>
    public PayloadBudgets Budgets { get; init; } = PayloadBudgets.Default;

    /// <summary>Live mode (<see cref="PandaProbeOptions.LiveMode"/>).</summary>
    public bool Live { get; init; }

    /// <summary>How long a trace's own flush waits by default (<see cref="PandaProbeOptions.FlushOnDisposeTimeout"/>).</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The rate-fit sampler, when <see cref="SamplingOptions.FitPlatformRate"/> is on and the client sends to the platform.</summary>
    public RateFitSampler? RateFit { get; init; }

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
        if (OptionProblems(options).FirstOrDefault() is ({ } param, { } message))
            throw new ArgumentException(message, param);
        var sampling = options.Sampling;

        var exporters = new List<ITraceExporter>(options.Exporters.Where(x => x is not null));
        string? notice = null;
        var fit = sampling.FitPlatformRate && settings.SendsToPlatform ? new RateFitSampler(time) : null;
        if (settings.Enabled && exporters.Count == 0 && PlatformSetup.CreateExporter(settings, options, fit) is { } http)
            exporters.Add(http);
        else if (settings.Enabled && exporters.Count == 0)
        {
            var path = Path.GetFullPath(settings.LocalFilePath.IfNone(FileTraceExporter.DefaultPath));
            exporters.Add(new FileTraceExporter(path));
            notice = $"PandaProbe: no API key and project configured; traces are written to {path}";
        }
        if (!exporters.OfType<Http.HttpTraceExporter>().Any()) fit = null;   // no platform exporter to learn the rate from
        var r = options.Redaction;
        var redactor = new Redactor(settings.ContentMode, r.KeyNames, r.MaskEmails, r.MaskCardNumbers, r.MaskApiKeys, r.Patterns, r.Custom,
            secrets: settings.MaskSecrets);
        var policy = new SamplingPolicy(settings.SampleRate, sampling.KeepErrors, sampling.KeepSlowerThan, sampling.KeepCostlierThan);
        return new ClientSetup(settings.Enabled, settings.Environment, settings.Release,
            settings.Debug, pipeline, exporters, time, options.Scheduler, options.RegisterProcessExitHandler, settings.ShutdownDeadline, notice,
            redactor, policy, settings.FlushOnDispose ? options.FlushOnDisposeTimeout : null) { RateFit = fit, Budgets = settings.Budgets, FlushTimeout = options.FlushOnDisposeTimeout, Live = settings.LiveMode };
    }

    /// <summary>
    /// Every problem building a client from <paramref name="options"/> would report, without building anything: the
    /// platform settings' problems (each naming the option and its <c>PANDAPROBE_*</c> variable), then the others.
    /// Each starts with the option's name (<c>Sampling.KeepSlowerThan</c> for a nested one).
    /// </summary>
    public static IReadOnlyList<string> Problems(PandaProbeOptions options) =>
        [.. PlatformSetup.Problems(options), .. OptionProblems(options).Select(p => p.Message)];

    /// <summary>The checks of the options that are not platform settings, as (parameter name, message).</summary>
    static IEnumerable<(string Param, string Message)> OptionProblems(PandaProbeOptions options)
    {
        if (options.Scheduler is ImmediateScheduler or CurrentThreadScheduler)
            yield return (nameof(PandaProbeOptions.Scheduler),
                "Scheduler must run actions later, on its own (not Scheduler.Immediate or Scheduler.CurrentThread).");
        var sampling = options.Sampling;
        if (sampling.KeepSlowerThan is { } slow && slow <= TimeSpan.Zero)
            yield return (nameof(SamplingOptions.KeepSlowerThan), "Sampling.KeepSlowerThan must be positive.");
        if (sampling.KeepCostlierThan is { } costly && (!double.IsFinite(costly) || costly < 0))
            yield return (nameof(SamplingOptions.KeepCostlierThan), "Sampling.KeepCostlierThan must be a finite amount of zero or more.");
        if (options.FlushOnDisposeTimeout <= TimeSpan.Zero)
            yield return (nameof(PandaProbeOptions.FlushOnDisposeTimeout), "FlushOnDisposeTimeout must be positive.");
        if (options.Redaction.Patterns.Any(p => p is null))
            yield return (nameof(RedactionOptions.Patterns), "Redaction.Patterns holds a null pattern.");
        if (options.AbandonedTraceTimeout <= TimeSpan.Zero && options.AbandonedTraceTimeout != Timeout.InfiniteTimeSpan)
            yield return (nameof(PandaProbeOptions.AbandonedTraceTimeout), "AbandonedTraceTimeout must be positive, or Timeout.InfiniteTimeSpan.");
        if (sampling.FitPlatformRate && options.Spool.WriteAhead)
            yield return (nameof(SamplingOptions.FitPlatformRate),
                "Sampling.FitPlatformRate cannot be combined with Spool.WriteAhead: write-ahead puts every completed trace on disk to be delivered, the rate-fit sampler leaves some out.");
        if (options.Spool.MaxBytes < SpoolOptions.MinBytes)
            yield return (nameof(SpoolOptions.MaxBytes), $"Spool.MaxBytes must be at least {SpoolOptions.MinBytes} bytes.");
        if (options.Spool.MaxAge <= TimeSpan.Zero)
            yield return (nameof(SpoolOptions.MaxAge), "Spool.MaxAge must be positive.");
    }

    /// <summary>Writes the local-file notice to standard error, once per process.</summary>
    public void AnnounceOnce()
    {
        if (Notice is null || Interlocked.Exchange(ref noticeShown, 1) != 0) return;
        try { Console.Error.WriteLine(Notice); } catch { /* stderr may be closed */ }
    }
}
