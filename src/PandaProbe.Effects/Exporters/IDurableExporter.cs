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
    (int Kept, int Failed) SpoolNow(ExportBatch batch);

    /// <summary>Puts a completed trace on disk before returning (on the thread that completed it); false when it could not.</summary>
    bool WriteAhead(Trace trace);

    /// <summary>Publishes the write-ahead copy of a trace that will not be exported now; false when it had none.</summary>
    bool KeepWrittenAhead(TraceId id);
}
