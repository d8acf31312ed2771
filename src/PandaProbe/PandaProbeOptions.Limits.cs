namespace PandaProbe;

/// <summary>Size budgets: how many characters of the recorded values leave the process, per value, per span and per trace.</summary>
/// <remarks>
/// Applied on the export side, before any exporter, processor or subscriber sees a trace and before a request is built;
/// never on your thread. A value over its budget is cut keeping its JSON shape (its longest strings cut, each ending
/// with <c>…[truncated]</c>), and every cut counts once in <c>Health.Adjusted</c>. Sizes are characters of the value's
/// JSON text. An unset budget is its default or, if smaller, the next larger budget that is set; each must be at least
/// 1,024 and value ≤ span ≤ trace, else building the client throws an <see cref="ArgumentException"/> naming the option
/// and its variable.
/// </remarks>
public sealed partial class PandaProbeOptions
{
    /// <summary>
    /// The most characters one input, output or metadata value keeps (of a trace or of a span, a late span too).
    /// <value>Default: <c>PANDAPROBE_MAX_VALUE_CHARS</c>, else 4,194,304 (the span budget).</value>
    /// </summary>
    public int? MaxValueChars { get; set; }

    /// <summary>
    /// The most characters the input and output of one span keep together; past it each is cut to its share (half,
    /// or what the smaller one leaves). <value>Default: <c>PANDAPROBE_MAX_SPAN_CHARS</c>, else 4,194,304.</value>
    /// </summary>
    public int? MaxSpanChars { get; set; }

    /// <summary>
    /// The most characters the inputs and outputs of one trace and all its spans keep together; past it the largest
    /// are cut to one share (never below 1,024 characters). <value>Default: <c>PANDAPROBE_MAX_TRACE_CHARS</c>, else
    /// 16,777,216.</value>
    /// </summary>
    public int? MaxTraceChars { get; set; }
}
