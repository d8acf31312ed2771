using PandaProbe.Pipeline;
using PandaProbe.Model.Delivery;
using PandaProbe.Serialization;

namespace PandaProbe.Http;

/// <summary>Why an item has no request: the drop reason (<see cref="DropReason"/>), the detail, the route and the failure.</summary>
internal sealed record Unbuildable(DropReason Reason, string Detail, string Path, Exception? Exception);

/// <summary>
/// Request building: what the platform is sent for each item, with no I/O. A trace is <c>POST /traces</c> with its first
/// 500 spans, then <c>POST /traces/{id}/spans</c> per further 500; late spans go through the add-spans route in chunks
/// of 500; a score is <c>POST /evaluations/trace-scores</c>, keyed with a fresh delivery id in its metadata
/// (<see cref="DeliveryKey"/>). Every request gets a fresh id (its <c>X-Request-ID</c>, kept across retries and
/// processes). An item whose body cannot be written, or a score over the client's limits, gets no request and says why.
/// </summary>
internal static class PlatformRequests
{
    /// <summary>The route of traces.</summary>
    public const string TracesPath = "/traces";

    /// <summary>The route of scores.</summary>
    public const string ScoresPath = "/evaluations/trace-scores";

    /// <summary>
    /// The metadata key a score carries its delivery id under, so that after a lost answer the exporter can ask the
    /// platform whether the score was stored instead of posting it again.
    /// </summary>
    public const string DeliveryKey = "pandaprobe_delivery_id";

    /// <summary>The add-spans route of a trace.</summary>
    public static string SpansPath(string traceId) => $"/traces/{traceId}/spans";

    /// <summary>
    /// A trace's requests: the trace with its first spans, then the rest through add-spans (the trace is the one item;
    /// the chunks that carry its other spans count as none of their own).
    /// </summary>
    public static bool TryTrace(TraceRecord trace, out List<PlatformRequest> requests, out Unbuildable? why)
    {
        requests = [];
        if (trace.ContinuationSpan is not null) return TryContinuation(trace, requests, out why);
        var chunks = SpanChunks.Split(trace);
        if (!TryBody(() => WireJson.TraceUtf8(trace, chunks.First), TracesPath, out var body, out why)) return false;
        var traceId = trace.Id.ToString();
        requests.Add(new PlatformRequest(RequestKind.Trace, TracesPath, NewId(), traceId, 1, body));
        foreach (var chunk in chunks.Rest)
        {
            var path = SpansPath(traceId);
            if (!TryBody(() => WireJson.SpansUtf8(chunk), path, out var spansBody, out why)) return false;
            requests.Add(new PlatformRequest(RequestKind.AddSpans, path, NewId(), traceId, 0, spansBody));
        }
        return true;
    }

    /// <summary>
    /// A continuation's requests (<see cref="Continuation"/>): its stand-in span and its spans, added to the upstream
    /// trace in chunks (the first carries the item). A 404 there is the upstream trace not stored yet, retried as
    /// ingestion lag.
    /// </summary>
    static bool TryContinuation(TraceRecord trace, List<PlatformRequest> requests, out Unbuildable? why)
    {
        why = null;
        var traceId = trace.Id.ToString();
        var path = SpansPath(traceId);
        var first = true;
        foreach (var chunk in SpanChunks.Chunk(Continuation.StandIn(trace).Cons(trace.Spans), Limits.MaxSpansPerRequest))
        {
            if (!TryBody(() => WireJson.SpansUtf8(chunk), path, out var body, out why)) return false;
            requests.Add(new PlatformRequest(RequestKind.AddSpans, path, NewId(), traceId, first ? 1 : 0, body));
            first = false;
        }
        return true;
    }

    /// <summary>
    /// The stand-in for a continuation's upstream trace that is not stored: the trace's id, its name and start, status
    /// RUNNING, and nothing else. The upstream trace's own <c>POST /traces</c> overwrites name, status and start, and
    /// sets every other field it has (the platform keeps the spans), so nothing of the placeholder remains once it
    /// arrives. Counts no item of its own.
    /// </summary>
    public static bool TryPlaceholder(TraceRecord continuation, out PlatformRequest? request)
    {
        var placeholder = new TraceRecord
        {
            Id = continuation.Id, Name = continuation.Name, StartedAt = continuation.StartedAt, Status = TraceStatus.Running,
            StatusIsExplicit = true,
        };
        request = TryBody(() => WireJson.TraceUtf8(placeholder, []), TracesPath, out var body, out _)
            ? new PlatformRequest(RequestKind.Trace, TracesPath, NewId(), continuation.Id.ToString(), 0, body)
            : null;
        return request is not null;
    }

    /// <summary>One add-spans request for spans of one trace (at most 500: chunk them first).</summary>
    public static bool TrySpans(TraceId traceId, Seq<Span> spans, out PlatformRequest? request, out Unbuildable? why)
    {
        var id = traceId.ToString();
        var path = SpansPath(id);
        request = TryBody(() => WireJson.SpansUtf8(spans), path, out var body, out why)
            ? new PlatformRequest(RequestKind.AddSpans, path, NewId(), id, spans.Count, body)
            : null;
        return request is not null;
    }

    /// <summary>A score's request, keyed with its delivery id; none when the score is over the client's limits.</summary>
    public static bool TryScore(Score score, out PlatformRequest? request, out Unbuildable? why)
    {
        request = null;
        if (ClientLimits.Check(score).TryGet(out var problem))
        {
            why = new Unbuildable(DropReason.Invalid, problem, ScoresPath, null);
            return false;
        }
        var id = NewId();
        var keyed = score with { Metadata = score.Metadata.AddOrUpdate(DeliveryKey, Payload.Text(id)) };
        if (!TryBody(() => WireJson.ScoreUtf8(keyed), ScoresPath, out var body, out why)) return false;
        request = new PlatformRequest(RequestKind.Score, ScoresPath, id, score.Trace.ToString(), 1, body);
        return true;
    }

    static string NewId() => Guid.NewGuid().ToString("D");

    static bool TryBody(Func<byte[]> write, string path, out byte[] body, out Unbuildable? why)
    {
        try
        {
            body = write();
            why = null;
            return true;
        }
        catch (Exception ex)
        {
            body = [];
            why = new Unbuildable(DropReason.Serialization, ex.Message, path, ex);
            return false;
        }
    }
}
