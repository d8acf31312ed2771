namespace PandaProbe;

/// <summary>
/// Observes traces and spans as the pipeline folds them (the OpenAI Agents SDK's processor interface). Register with
/// <see cref="PandaProbeOptions.Processors"/>. Calls arrive in order, enriched (priced, fitted to the platform's
/// limits), on one background thread per processor, as the export side takes each batch; an
/// exception thrown by a processor is logged to <see cref="SelfLog"/> and does not stop later calls.
/// </summary>
public interface ITraceProcessor
{
    /// <summary>A trace started.</summary>
    /// <param name="trace">The trace as it started (no spans yet).</param>
    void OnTraceStart(TraceRecord trace) { }

    /// <summary>A trace ended; it carries every span that ended before it.</summary>
    /// <param name="trace">The completed trace.</param>
    void OnTraceEnd(TraceRecord trace) { }

    /// <summary>A span started.</summary>
    /// <param name="span">The span as it started.</param>
    void OnSpanStart(Span span) { }

    /// <summary>A span ended.</summary>
    /// <param name="span">The completed span.</param>
    void OnSpanEnd(Span span) { }
}
