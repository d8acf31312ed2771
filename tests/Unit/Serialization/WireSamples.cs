using LanguageExt;
using PandaProbe.Model;
using static LanguageExt.Prelude;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Serialization;

/// <summary>Fixed traces for the wire tests, built with the reducer so that they look like real ones.</summary>
static class WireSamples
{
    public static readonly TraceId TraceA = new(Guid.Parse("0B7D2C1E-5F0A-4C4E-9A51-3F1E0D2A9B10"));
    public static readonly TraceId ParentRun = new(Guid.Parse("11111111-2222-4333-8444-555555555555"));
    public static readonly SpanId Root = new(Guid.Parse("9F2E0000-0000-4000-8000-0000000000AA"));
    public static readonly SpanId Llm = new(Guid.Parse("A41C0000-0000-4000-8000-0000000000BB"));
    public static readonly SpanId Tool = new(Guid.Parse("C0DE0000-0000-4000-8000-0000000000CC"));
    public static readonly DateTimeOffset T0 = new(2026, 5, 19, 10, 0, 0, TimeSpan.Zero);

    public static DateTimeOffset At(double ms) => T0.AddTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    public static Map<string, Payload> Meta(params (string Key, Payload Value)[] entries) =>
        entries.Aggregate(Map<string, Payload>(), (m, kv) => m.AddOrUpdate(kv.Key, kv.Value));

    /// <summary>The events of a trace using every field: root AGENT → LLM (tokens, cost, params, streaming) and a failing TOOL.</summary>
    public static IEnumerable<TraceEvent> RichScript()
    {
        yield return new TraceStarted(TraceA, "rag-pipeline", At(0), Payload.Json("""{"messages":[{"role":"user","content":"Où est la gare ?"}]}"""),
            SessionId: "conv-123", UserId: "user-abc", Tags: Seq("rag", "prod"), Metadata: Meta(("team", Payload.Text("search"))),
            Environment: "production", Release: "v1.2.3", ParentTrace: ParentRun);
        yield return new SpanStarted(TraceA, Root, null, "agent", SpanType.Agent, At(1.5));
        yield return new SpanStarted(TraceA, Llm, Root, "llm-generation", SpanType.Llm, At(2.25), Model: "gpt-5.4-nano",
            Metadata: Meta(("provider", Payload.Text("openai"))));
        yield return new InputSet(TraceA, Llm, Payload.Json("""{"messages":[{"role":"system","content":"Be brief"}]}"""), At(2.3));
        yield return new ModelParametersSet(TraceA, Llm, Meta(("temperature", Payload.Json("0.7")), ("max_tokens", Payload.Json("100"))), At(2.4));
        yield return new CompletionStartSet(TraceA, Llm, At(120.123), At(121));
        yield return new TokensSet(TraceA, Llm, TokenUsage.Of(120, 40, [("total_tokens", 160L), ("reasoning_tokens", 0L)]), At(300));
        yield return new CostSet(TraceA, Llm, Cost.Of(0.0021, [("input", 0.0015), ("output", 0.0006)]), At(300));
        yield return new OutputSet(TraceA, Llm, Payload.Text("La gare est à droite."), At(301));
        yield return new ParamsRegistered(TraceA, Llm, Meta(("k", Payload.Json("3"))), false, At(302));
        yield return new Logged(TraceA, Llm, Payload.Text("first token late"), At(303.001));
        yield return new SpanEnded(TraceA, Llm, At(350));
        yield return new SpanStarted(TraceA, Tool, Root, "search", SpanType.Tool, At(351));
        yield return new InputSet(TraceA, Tool, Payload.Json("""{"query":"gare"}"""), At(351));
        yield return new Errored(TraceA, Tool, new ErrorInfo("timeout after 3 s", "System.TimeoutException",
            Meta(("attempt", Payload.Json("2")))), At(400));
        yield return new SpanEnded(TraceA, Tool, At(401));
        yield return new SpanEnded(TraceA, Root, At(402));
        yield return new OutputSet(TraceA, null, Payload.Json("""{"messages":[{"role":"assistant","content":"À droite."}]}"""), At(403));
        yield return new ParamsRegistered(TraceA, null, Meta(("top_k", Payload.Json("5"))), false, At(404));
        yield return new Logged(TraceA, null, Payload.Json("""{"step":1}"""), At(405));
        yield return new Errored(TraceA, null, new ErrorInfo("tool failed", "System.TimeoutException",
            Meta(("where", Payload.Text("search")))), At(406));
        yield return new TraceEnded(TraceA, At(2456.789));
    }

    /// <summary>The completed trace of <see cref="RichScript"/>.</summary>
    public static TraceRecord Rich() => Completed(RichScript());

    /// <summary>A minimal completed trace: a name, two timestamps, nothing else.</summary>
    public static TraceRecord Minimal() => Completed([
        new TraceStarted(TraceA, "minimal", T0),
        new TraceEnded(TraceA, T0.AddSeconds(2)),
    ]);

    public static TraceRecord Completed(IEnumerable<TraceEvent> script) =>
        TraceReducer.Fold(script).Outputs.Choose(o => o is Output.TraceCompleted c ? Some(c.Trace) : None).Head();
}
