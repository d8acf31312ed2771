using PandaProbe.Diagnostics;

namespace PandaProbe.Exporters;

/// <summary>
/// An exporter that keeps what it cannot deliver now on disk and bounds its own work (request timeouts, retry budgets),
/// so the export stage neither cancels it at the per-batch export deadline nor drops what it can keep: the queue's
/// overflow, what is left at the shutdown deadline, and write-ahead copies go to it. Today: the platform exporter.
/// </summary>
internal interface IDurableExporter
{
    /// <summary>Its delivery counters (read into the pipeline's health).</summary>
    PandaProbeMetrics Metrics { get; }

    /// <summary><c>true</c> when it has a place to keep items (a spool).</summary>
    bool Spools { get; }

    /// <summary>Keeps every item of the batch without trying to deliver it: how many it kept, and gave up on (reported).</summary>
    /// <param name="batch">The items.</param>
    /// <param name="fromLane">True when the batch comes out of its own lane (a full lane, the shutdown deadline), not from the queue before it.</param>
    (int Kept, int Failed) SpoolNow(ExportBatch batch, bool fromLane = false);

    /// <summary>Puts a completed trace on disk before returning (on the thread that completed it); false when it could not.</summary>
    bool WriteAhead(TraceRecord trace);

    /// <summary>
    /// Told how many completed traces were handed to its lane (on the export side, as each batch enters it, before any
    /// wait): the rate the application produces them at, which its own sends, paced to the platform, cannot show.
    /// </summary>
    void Offered(int traces);

    /// <summary>What it says of its own state when it is degraded (an outage, a rate above the platform's); null otherwise.</summary>
    string? Problem { get; }

    /// <summary>
    /// Tries what waits in its spool now (within <paramref name="cancellationToken"/>): returns once a pass over the files
    /// it lists has ended (all tried, or stopped by the platform), at once when it is sending them already at the
    /// platform's pace. Never throws.
    /// </summary>
    Task DrainAsync(CancellationToken cancellationToken);

    /// <summary>Items waiting in its spool for a replay (0 without a spool; reads the spool's directory).</summary>
    long Waiting { get; }

    /// <summary>Publishes the write-ahead copy of a trace that will not be exported now; false when it had none.</summary>
    bool KeepWrittenAhead(TraceId id);
}
