using PandaProbe.Model.Enrichment;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Properties.Wire;

/// <summary>
/// The platform body writer is total: arbitrary model values always give one line of valid JSON that reads back, in
/// the storable form (<see cref="JsonText.Storable"/>).
/// </summary>
public class WireJsonProperties
{
    static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A trace built from arbitrary strings and numbers, covering every field the writer handles.</summary>
    static TraceRecord Build(string[] texts, long[] counts, double[] costs, bool flag)
    {
        string Text(int i) => texts.Length == 0 ? "" : texts[i % texts.Length] ?? "";
        var traceId = TraceId.New();
        var meta = texts.Take(5).Select((t, i) => ($"k{i}{t}", i % 2 == 0 ? Payload.Text(Text(i)) : Payload.Json(Text(i + 1))))
            .Aggregate(Map<string, Payload>(), (m, kv) => m.AddOrUpdate(kv.Item1, kv.Item2));
        var tokens = new TokenUsage(counts.Take(4).Select((c, i) => ($"t{i}", c)).Aggregate(Map<string, long>(), (m, kv) => m.AddOrUpdate(kv.Item1, kv.Item2)));
        var cost = new Cost(costs.Take(4).Select((c, i) => ($"c{i}", c)).Aggregate(Map<string, double>(), (m, kv) => m.AddOrUpdate(kv.Item1, kv.Item2)));
        var span = new Span
        {
            Id = SpanId.New(), Trace = traceId, Name = Text(0), Kind = SpanType.Llm, Status = SpanStatus.Error,
            StartedAt = T0.AddTicks(counts.Length == 0 ? 0 : Math.Abs(counts[0] % 10_000_000_000)),
            Input = Payload.Json(Text(1)), Output = Payload.Text(Text(2)), Model = Text(3),
            Tokens = tokens, Cost = cost, Metadata = meta, ModelParameters = meta,
            Error = new ErrorInfo(Text(4), flag ? Text(5) : null, meta),
            Params = meta, Logs = Seq1(new LogEntry(T0, Payload.Json(Text(6)))),
        };
        return new TraceRecord
        {
            Id = traceId, Name = Text(7), StartedAt = T0, EndedAt = T0.AddSeconds(1), Status = TraceStatus.Error,
            Input = Payload.Text(Text(8)), Output = Payload.Json(Text(9)), Metadata = meta,
            Tags = texts.ToSeq().Strict(), SessionId = Text(10), Error = ErrorInfo.Of(Text(11)),
            Params = meta, Logs = Seq1(new LogEntry(T0, Payload.Text(Text(12)))), Spans = Seq1(span),
            ParentTrace = flag ? TraceId.New() : null,
        };
    }

    [TraceProperty]
    public Property Any_trace_is_written_as_one_line_of_valid_json_that_reads_back(string[] texts, long[] counts, double[] costs)
    {
        texts = texts.Select(t => t ?? "").ToArray();
        var flag = texts.Length % 2 == 0;
        // As the serializer receives it: after the pipeline's enrichment.
        var trace = Enricher.LimitsOnly.Trace(Build(texts, counts, costs, flag)).Value;
        var json = WireJson.Trace(trace);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var span = root.GetProperty("spans")[0];
        var finiteCosts = span.GetProperty("cost").EnumerateObject().Count();
        var back = WireReader.ReadTrace(json);
        var backSpan = back.Spans.Head();
        // What reads back is the storable form: NUL as U+2400, lone surrogates as U+FFFD (JsonText.Storable).
        var stored = Enricher.LimitsOnly.Trace(Build(texts.Select(JsonText.Storable).ToArray(), counts, costs, flag)).Value;
        return (!json.Contains('\n')
                && (root.TryGetProperty("tags", out var tags) ? tags.GetArrayLength() : 0) == texts.Length
                && finiteCosts == costs.Take(4).Count(double.IsFinite)
                && span.GetProperty("token_usage").EnumerateObject().All(p => p.Value.TryGetInt64(out _))
                && back.Name == stored.Name
                && back.Tags.SequenceEqual(stored.Tags)
                && back.Input == stored.Input
                && backSpan.Output == stored.Spans.Head().Output
                && backSpan.Error?.Message == stored.Spans.Head().Error?.Message
                && backSpan.Tokens?.Counts == trace.Spans.Head().Tokens?.Counts)
            .Label(json);
    }
}
