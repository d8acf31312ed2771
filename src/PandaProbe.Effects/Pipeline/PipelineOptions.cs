namespace PandaProbe.Pipeline;

/// <summary>Immutable, validated settings of one pipeline. Build with <see cref="Create"/>, which checks every value.</summary>
public sealed record PipelineOptions
{
    /// <summary>Default number of items per export call (the Python SDK's batch size).</summary>
    public const int DefaultBatchSize = 10;
    /// <summary>Default longest wait before pending items are exported.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(5);
    /// <summary>Default number of completed items waiting for export before the oldest is dropped.</summary>
    public const int DefaultMaxQueueSize = 1000;
    /// <summary>Default number of events waiting to be folded before new traces are refused.</summary>
    public const int DefaultEventQueueCapacity = 8_192;
    /// <summary>The largest event queue capacity (its slots are allocated up front: about 112 bytes × 2 × capacity).</summary>
    public const int MaxEventQueueCapacity = 1 << 20;
    /// <summary>Default number of values waiting for one slow subscriber before new ones are dropped for it.</summary>
    public const int DefaultSubscriberQueueCapacity = 10_000;
    /// <summary>Default deadline for one export call.</summary>
    public static readonly TimeSpan DefaultExportTimeout = TimeSpan.FromSeconds(30);

    private PipelineOptions() { }

    /// <summary>Items per export call.</summary>
    public int BatchSize { get; private init; } = DefaultBatchSize;
    /// <summary>Longest wait before pending items are exported.</summary>
    public TimeSpan FlushInterval { get; private init; } = DefaultFlushInterval;
    /// <summary>Completed items held for export before the oldest is dropped (and counted).</summary>
    public int MaxQueueSize { get; private init; } = DefaultMaxQueueSize;
    /// <summary>
    /// Events held for the fold before new traces are refused (and counted); events of started traces may use as much
    /// again. The inbox allocates its slots once, when the pipeline starts: about 112 bytes for each of 2 × capacity
    /// slots, rounded up to a power of two (1.8 MB at the default).
    /// </summary>
    public int EventQueueCapacity { get; private init; } = DefaultEventQueueCapacity;
    /// <summary>Values held for one subscriber before new ones are dropped for it (and counted).</summary>
    public int SubscriberQueueCapacity { get; private init; } = DefaultSubscriberQueueCapacity;
    /// <summary>Deadline of one export call; a slower exporter is cancelled and the batch counted as failed.</summary>
    public TimeSpan ExportTimeout { get; private init; } = DefaultExportTimeout;

    /// <summary>The defaults.</summary>
    public static PipelineOptions Default { get; } = new();

    /// <summary>Validated options. Throws <see cref="ArgumentOutOfRangeException"/> naming the setting that is out of range.</summary>
    public static PipelineOptions Create(
        int batchSize = DefaultBatchSize, TimeSpan? flushInterval = null, int maxQueueSize = DefaultMaxQueueSize,
        int eventQueueCapacity = DefaultEventQueueCapacity, int subscriberQueueCapacity = DefaultSubscriberQueueCapacity,
        TimeSpan? exportTimeout = null)
    {
        var interval = flushInterval ?? DefaultFlushInterval;
        var timeout = exportTimeout ?? DefaultExportTimeout;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "BatchSize must be at least 1.");
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(flushInterval), interval, "FlushInterval must be positive.");
        if (maxQueueSize < 1) throw new ArgumentOutOfRangeException(nameof(maxQueueSize), maxQueueSize, "MaxQueueSize must be at least 1.");
        if (eventQueueCapacity is < 16 or > MaxEventQueueCapacity)
            throw new ArgumentOutOfRangeException(nameof(eventQueueCapacity), eventQueueCapacity, $"EventQueueCapacity must be between 16 and {MaxEventQueueCapacity:N0}.");
        if (subscriberQueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(subscriberQueueCapacity), subscriberQueueCapacity, "SubscriberQueueCapacity must be at least 1.");
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(exportTimeout), timeout, "ExportTimeout must be positive.");
        return new PipelineOptions
        {
            BatchSize = batchSize, FlushInterval = interval, MaxQueueSize = maxQueueSize,
            EventQueueCapacity = eventQueueCapacity, SubscriberQueueCapacity = subscriberQueueCapacity, ExportTimeout = timeout,
        };
    }
}
