using System.Text.Json;
using LanguageExt;
using PandaProbe.Model;
using PandaProbe.Serialization;
using PandaProbe.Unit.Support;
using Xunit;
using static LanguageExt.Prelude;
using static PandaProbe.Unit.Serialization.WireSamples;

namespace PandaProbe.Unit.Serialization;

/// <summary>Bodies validated against TraceCreate / SpanCreate / CreateTraceScoreRequest of the platform's openapi.json.</summary>
public class OpenApiSchemaTests
{
    static OpenApiChecker Checker() => OpenApiChecker.Load(SharedData.OpenApiPath);

    static void AssertValid(string schema, string json)
    {
        var errors = Checker().Check(schema, JsonDocument.Parse(json).RootElement);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [SharedDataFact]
    public void Sample_traces_are_valid_trace_create_bodies()
    {
        AssertValid("TraceCreate", WireJson.Trace(Rich()));
        AssertValid("TraceCreate", WireJson.Trace(Minimal()));
        AssertValid("TraceCreate", WireJson.Trace(new TraceRecord { Id = TraceA, Name = "open", StartedAt = T0 }));
        AssertValid("TraceCreate", WireJson.Trace(Minimal() with { Output = Payload.Null, Input = Payload.Json("[1,\"x\"]") }));
    }

    [SharedDataFact]
    public void A_trace_with_500_spans_is_valid_and_the_checker_rejects_501()
    {
        var spans = Enumerable.Range(0, 501)
            .Select(i => WireJsonTests.SomeSpan() with { Id = new SpanId(Guid.NewGuid()), Name = $"s{i}", Kind = SpanType.Tool })
            .ToArray();
        var trace = Minimal();
        AssertValid("TraceCreate", WireJson.Trace(trace, spans.Take(500)));
        var errors = Checker().Check("TraceCreate", JsonDocument.Parse(WireJson.Trace(trace, spans)).RootElement);
        Assert.Contains(errors, e => e.Contains("more than 500"));
    }

    [SharedDataFact]
    public void Span_bodies_are_valid_span_create_items()
    {
        foreach (var span in JsonDocument.Parse(WireJson.Spans(Rich().Spans)).RootElement.EnumerateArray())
            AssertValid("SpanCreate", span.GetRawText());
    }

    [SharedDataFact]
    public void Score_bodies_are_valid_create_trace_score_requests()
    {
        AssertValid("CreateTraceScoreRequest", WireJson.Score(
            new Score(TraceA, "quality", "0.5", ScoreDataType.Numeric, "ok", Meta(("judge", Payload.Text("gpt"))))));
    }

    [SharedDataFact]
    public void The_checker_rejects_what_the_platform_rejects()
    {
        var checker = Checker();
        JsonElement Body(string json) => JsonDocument.Parse(json).RootElement;
        Assert.NotEmpty(checker.Check("TraceCreate", Body("""{"name":"n","started_at":"2026-02-23T10:00:00Z","metadata":null}""")));
        Assert.NotEmpty(checker.Check("TraceCreate", Body("""{"name":"n","started_at":"2026-02-23T10:00:00Z","tags":null}""")));
        Assert.NotEmpty(checker.Check("TraceCreate", Body("""{"name":"n","started_at":"2026-02-23T10:00:00Z","status":"completed"}""")));
        Assert.NotEmpty(checker.Check("TraceCreate", Body("""{"name":"","started_at":"2026-02-23T10:00:00Z"}""")));
        Assert.NotEmpty(checker.Check("TraceCreate", Body("""{"name":"n"}""")));
        Assert.NotEmpty(checker.Check("SpanCreate", Body("""{"name":"n","started_at":"2026-02-23T10:00:00Z","kind":null}""")));
        Assert.NotEmpty(checker.Check("SpanCreate", Body("""{"name":"n","started_at":"2026-02-23T10:00:00Z","cost":{"total":"x"}}""")));
        Assert.NotEmpty(checker.Check("SpanCreate", Body($$"""{"name":"n","started_at":"2026-02-23T10:00:00Z","model":"{{new string('m', 256)}}"}""")));
    }
}
