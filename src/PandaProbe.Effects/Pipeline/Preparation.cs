using PandaProbe.Exporters;
using PandaProbe.Messages;
using PandaProbe.Model.Enrichment;
using PandaProbe.Model.Sampling;
using PandaProbe.Redaction;

namespace PandaProbe.Pipeline;

/// <summary>
/// Prepare: what an item becomes before anything outside the pipeline sees it. It is enriched (<see cref="Enricher"/>:
/// environment, release, prices, platform limits), sampled (<see cref="SamplingPolicy"/>: a completed trace that is
/// not kept leaves with none of its late spans or scores) and redacted (<see cref="Redactor"/>). This is the only place
/// that composition is written: batches, the spool's spill-over, write-ahead and summaries all go through it.
/// </summary>
internal sealed class Preparation
{
    readonly SamplingPolicy sampling;
    readonly KeptByRule keptByRule = new();
    readonly PipelineCounters counters;
    readonly IsolatedSubject<TraceRecord> completed;
    readonly IsolatedSubject<Output> outputs;
    readonly CheckSample checkSample;
    readonly RateFitSampler? rateFit;
    readonly System.Collections.Generic.HashSet<TraceId> leftOutByFit = [];   // their late spans and scores are left out too (bounded)

    /// <param name="enricher">The enrichment every item goes through first.</param>
    /// <param name="redactor">What of each item may leave.</param>
    /// <param name="sampling">Which traces are kept.</param>
    /// <param name="counters">Where adjustments, sampled-out items and redaction failures are counted.</param>
    /// <param name="completed">The <c>CompletedTraces</c> subscribers.</param>
    /// <param name="outputs">The <c>Outputs</c> subscribers (processors).</param>
    /// <param name="time">The clock of the messages check's sample.</param>
    /// <param name="rateFit">The rate-fit sampler, when on: keeps traces at the platform's rate, errors and scored ones first.</param>
    public Preparation(Enricher enricher, Redactor redactor, SamplingPolicy sampling, PipelineCounters counters,
        IsolatedSubject<TraceRecord> completed, IsolatedSubject<Output> outputs, TimeProvider time, RateFitSampler? rateFit = null)
    {
        this.rateFit = rateFit;
        Enricher = enricher;
        Redactor = redactor;
        this.sampling = sampling;
        this.counters = counters;
        this.completed = completed;
        this.outputs = outputs;
        checkSample = new CheckSample(time);
    }

    /// <summary>The enrichment step.</summary>
    public Enricher Enricher { get; }

    /// <summary>The redaction step.</summary>
    public Redactor Redactor { get; }

    /// <summary>Which traces are kept.</summary>
    public SamplingPolicy Sampling => sampling;

    /// <summary>Live mode: starts and span ends of open traces also go to the exporters, as progress.</summary>
    public bool Live { get; init; }

    /// <summary>A start, or the end of a span whose trace is open: progress in live mode.</summary>
    public static bool IsProgress(Output item) => item is Output.TraceStarted or Output.SpanCompleted { AfterTrace: false };

    /// <summary>
    /// Progress as it may leave (live mode): enriched and redacted like the items, and only for a trace the ratio keeps
    /// at its start. With tail rules or the rate-fit sampler, which decide at the end, no progress leaves before that
    /// decision. Null otherwise, and on any failure (progress is best-effort; the completed trace carries everything).
    /// </summary>
    (TraceRecord? Running, Span? Ended) Progress(Output item)
    {
        try
        {
            if (rateFit is not null || sampling.HasTailRules && !sampling.KeepsAll) return default;
            switch (item)
            {
                case Output.TraceStarted s when s.Trace.ContinuationSpan is null && (sampling.KeepsAll || sampling.HeadKeeps(s.Trace.Id)):
                    return (Redactor.Apply(Enricher.Trace(s.Trace).Value), null);
                case Output.SpanCompleted { AfterTrace: false } e when sampling.KeepsAll || sampling.HeadKeeps(e.Span.Trace):
                    // (a continuation's spans go too: their trace exists upstream, or a placeholder stands for it)
                    return (null, Redactor.Apply(Enricher.Span(e.Span).Value));
                default:
                    return default;
            }
        }
        catch (Exception ex)
        {
            SelfLog.Write($"live progress {item.GetType().Name} is not sent: {ex.Message}");
            return default;
        }
    }

    /// <summary>Completed traces, late spans and scores go to the exporters; starts and span ends only to subscribers.</summary>
    public static bool IsExportItem(Output item) =>
        item is Output.TraceCompleted or Output.SpanCompleted { AfterTrace: true } or Output.ScoreSubmitted;

    /// <summary>
    /// The item as it may leave: enriched, then kept or not, then redacted; null when it is not kept (counted as
    /// sampled out) or redacting it failed (counted as dropped: nothing leaves unredacted). Never throws.
    /// </summary>
    /// <param name="item">A reducer output.</param>
    /// <param name="count">Count adjustments and sampled-out items (false for write-ahead, whose batch counts them later).</param>
    public Output? Apply(Output item, bool count = true)
    {
        var enriched = Enrich(item, count);
        if (!Kept(enriched))
        {
            if (count) counters.SampledOut();
            return null;
        }
        try { return Redactor.Apply(enriched); }
        catch (Exception ex)
        {
            if (count) counters.Dropped(DropReason.RedactionFailed);
            SelfLog.Write($"redacting {item.GetType().Name} failed, it is not exported: {ex.Message}");
            return null;
        }
    }

    /// <summary>A completed trace as every consumer sees it, without the sampling decision (what <c>Summary()</c> reads).</summary>
    public TraceRecord Describe(TraceRecord trace) => Redactor.Apply(Enricher.Trace(trace).Value);

    /// <summary>
    /// Prepares what the batch operator drained, on the export side: each item is prepared, handed to the
    /// <c>Outputs</c> and <c>CompletedTraces</c> subscribers, and the export items become one delivery for
    /// <paramref name="lanes"/> exporters (null when none is left). A flush's marker becomes a marker delivery.
    /// </summary>
    public Delivery? Deliver(Drained drained, int lanes)
    {
        if (drained.Flush is { } flush) return Delivery.OfFlush(flush, lanes, counters);
        List<TraceRecord>? traces = null;
        List<Span>? late = null;
        List<Score>? scores = null;
        List<TraceRecord>? running = null;
        List<Span>? progress = null;
        foreach (var item in drained.Items)
        {
            if (Live && IsProgress(item))
            {
                var (start, ended) = Progress(item);
                if (start is not null) (running ??= []).Add(start);
                if (ended is not null) (progress ??= []).Add(ended);
                if (!outputs.HasSubscribers) continue;   // queued for the exporters only
            }
            if (Apply(item) is not { } output)
            {
                // Sampled out, or lost to a failed redaction: whoever waits for the trace's delivery is told now.
                if (item is Output.TraceCompleted left) counters.Deliveries.Settle(left.Trace, null);
                continue;
            }
            if (outputs.HasSubscribers) outputs.Publish(output);
            switch (output)
            {
                case Output.TraceCompleted c:
                    Inspect(c.Trace);
                    completed.Publish(c.Trace);
                    (traces ??= []).Add(c.Trace);
                    break;
                case Output.SpanCompleted { AfterTrace: true } s:
                    (late ??= []).Add(s.Span);
                    break;
                case Output.ScoreSubmitted s:
                    (scores ??= []).Add(s.Score);
                    break;
            }
        }
        return traces is null && late is null && scores is null && running is null && progress is null
            ? null
            : Delivery.OfBatch(new ExportBatch(traces ?? [], late ?? [], scores ?? []) { Running = running ?? [], Progress = progress ?? [] },
                lanes, counters);
    }

    /// <summary>The export items among <paramref name="items"/>, prepared (for the spool: nothing is published).</summary>
    public ExportBatch Batch(IEnumerable<Output> items)
    {
        var (traces, late, scores) = (new List<TraceRecord>(), new List<Span>(), new List<Score>());
        foreach (var item in items)
        {
            if (!IsExportItem(item)) continue;
            switch (Apply(item))
            {
                case Output.TraceCompleted c: traces.Add(c.Trace); break;
                case Output.SpanCompleted s: late.Add(s.Span); break;
                case Output.ScoreSubmitted s: scores.Add(s.Score); break;
            }
        }
        return new ExportBatch(traces, late, scores);
    }

    /// <summary>
    /// The sampling decision: a completed trace by the policy (remembered when only a rule kept it), a late span or a
    /// score by its trace's decision; starts and span ends (seen by processors only) always pass.
    /// </summary>
    bool Kept(Output item) => KeptByPolicy(item) && KeptByFit(item);

    /// <summary>The rate-fit sampler's decision, after the policy's: a trace over the platform's rate is left out with its late spans and scores.</summary>
    bool KeptByFit(Output item)
    {
        if (rateFit is null) return true;
        switch (item)
        {
            case Output.TraceCompleted c:
                if (rateFit.Admit(c.Trace)) return true;
                lock (leftOutByFit)
                {
                    if (leftOutByFit.Count >= 100_000) leftOutByFit.Clear();
                    leftOutByFit.Add(c.Trace.Id);
                }
                return false;
            case Output.SpanCompleted { AfterTrace: true } late:
                lock (leftOutByFit) return !leftOutByFit.Contains(late.Span.Trace);
            case Output.ScoreSubmitted s:
                rateFit.Scored(s.Score.Trace);
                lock (leftOutByFit) return !leftOutByFit.Contains(s.Score.Trace);
            default:
                return true;
        }
    }

    bool KeptByPolicy(Output item)
    {
        if (sampling.KeepsAll) return true;
        lock (keptByRule)
        {
            switch (item)
            {
                case Output.TraceCompleted c:
                    var decision = sampling.AtEnd(c.Trace);
                    if (decision == SampleDecision.KeptByRule) keptByRule.Add(c.Trace.Id);
                    return decision != SampleDecision.Dropped;
                case Output.SpanCompleted { AfterTrace: true } late:
                    return sampling.HeadKeeps(late.Span.Trace) || keptByRule.Contains(late.Span.Trace);
                case Output.ScoreSubmitted s:
                    return sampling.HeadKeeps(s.Score.Trace) || keptByRule.Contains(s.Score.Trace);
                default:
                    return true;
            }
        }
    }

    Output Enrich(Output item, bool count)
    {
        try
        {
            var (output, adjustments) = Enricher.Output(item);
            if (count && !adjustments.IsEmpty)
            {
                counters.Adjusted(adjustments.Count);
                if (SelfLog.IsEnabled)
                    foreach (var a in adjustments) SelfLog.Write($"adjusted {a}");
            }
            return output;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"enriching {item.GetType().Name} failed, passing it on unenriched: {ex.Message}");
            return item;
        }
    }

    /// <summary>The warn-only messages check, on a sample of completed traces.</summary>
    void Inspect(TraceRecord trace)
    {
        if (!checkSample.Next()) return;
        try { MessagesFormatCheck.Check(trace, w => { counters.MessageFormatWarning(); SelfLog.Write(w); }); }
        catch (Exception ex) { SelfLog.Write($"inspecting trace {trace.Id} failed: {ex.Message}"); }
    }

    /// <summary>
    /// The ids of traces the ratio would have dropped but a rule kept, so their late spans and scores are kept too: the
    /// last <see cref="Capacity"/> of them.
    /// </summary>
    sealed class KeptByRule
    {
        const int Capacity = 10_000;
        readonly System.Collections.Generic.HashSet<TraceId> ids = [];
        readonly Queue<TraceId> order = new();

        public void Add(TraceId id)
        {
            if (!ids.Add(id)) return;
            order.Enqueue(id);
            if (order.Count > Capacity) ids.Remove(order.Dequeue());
        }

        public bool Contains(TraceId id) => ids.Contains(id);
    }

    /// <summary>
    /// Which completed traces the warn-only messages check reads: the first <see cref="Always"/>, so that a payload of
    /// the wrong shape is reported at once, then one per <see cref="Every"/>, so that the check costs next to nothing
    /// under load (it reads every input and output of the trace). Used by the export side only (one thread at a time).
    /// </summary>
    sealed class CheckSample(TimeProvider time)
    {
        public const int Always = 100;
        public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
        int seen;
        DateTimeOffset last;

        public bool Next()
        {
            if (seen < Always) return ++seen > 0;
            var now = time.GetUtcNow();
            if (now - last < Every) return false;
            last = now;
            return true;
        }
    }
}
