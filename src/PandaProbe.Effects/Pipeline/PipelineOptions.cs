namespace PandaProbe.Pipeline;

/// <summary>Immutable, validated settings of one pipeline. Build with <see cref="Create"/>, which checks every value.</summary>
internal sealed record PipelineOptions
{
    /// <summary>Default number of items per export call (the Python SDK's batch size).</summary>
    public const int DefaultBatchSize = 10;
    /// <summary>Default longest wait before pending items are exported.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(5);
    /// <summary>Default number of completed items waiting for export before the oldest is dropped.</summary>
    public const int DefaultMaxQueueSize = 1000;
    /// <summary>Default number of values waiting for one slow subscriber before new ones are dropped for it.</summary>
    public const int DefaultSubscriberQueueCapacity = 10_000;
    /// <summary>Default deadline for one export call.</summary>
    public static readonly TimeSpan DefaultExportTimeout = TimeSpan.FromSeconds(30);

    private PipelineOptions() { }

    /// <summary>Items per export call.</summary>
    public int BatchSize { get; private init; } = DefaultBatchSize;
    /// <summary>Longest wait before pending items are exported.</summary>
    public TimeSpan FlushInterval { get; private init; } = DefaultFlushInterval;
    /// <summary>
    /// Completed items held for export before the oldest is dropped (and counted). While processors or
    /// <c>Outputs</c> subscribers are attached, the starts and ends they see wait in the same queue.
    /// </summary>
    public int MaxQueueSize { get; private init; } = DefaultMaxQueueSize;
    /// <summary>Values held for one subscriber before new ones are dropped for it (and counted).</summary>
    public int SubscriberQueueCapacity { get; private init; } = DefaultSubscriberQueueCapacity;
    /// <summary>Deadline of one export call; a slower exporter is cancelled and the batch counted as failed.</summary>
    public TimeSpan ExportTimeout { get; private init; } = DefaultExportTimeout;

    /// <summary>The defaults.</summary>
    public static PipelineOptions Default { get; } = new();

    /// <summary>Validated options. Throws <see cref="ArgumentOutOfRangeException"/> naming the setting that is out of range.</summary>
    public static PipelineOptions Create(
        int batchSize = DefaultBatchSize, TimeSpan? flushInterval = null, int maxQueueSize = DefaultMaxQueueSize,
        int subscriberQueueCapacity = DefaultSubscriberQueueCapacity,
        TimeSpan? exportTimeout = null)
    {
        var interval = flushInterval ?? DefaultFlushInterval;
        var timeout = exportTimeout ?? DefaultExportTimeout;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "BatchSize must be at least 1.");
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(flushInterval), interval, "FlushInterval must be positive.");
        if (maxQueueSize < 1) throw new ArgumentOutOfRangeException(nameof(maxQueueSize), maxQueueSize, "MaxQueueSize must be at least 1.");
        if (subscriberQueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(subscriberQueueCapacity), subscriberQueueCapacity, "SubscriberQueueCapacity must be at least 1.");
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(exportTimeout), timeout, "ExportTimeout must be positive.");
        return new PipelineOptions
        {
            BatchSize = batchSize, FlushInterval = interval, MaxQueueSize = maxQueueSize,
            SubscriberQueueCapacity = subscriberQueueCapacity, ExportTimeout = timeout,
        };
    }
}
