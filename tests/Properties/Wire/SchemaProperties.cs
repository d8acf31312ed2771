using PandaProbe.Model.Enrichment;
using System.Text.Json;
using PandaProbe.Properties.Checks;
using PandaProbe.Properties.Generators;
using PandaProbe.Serialization;
using PandaProbe.Unit.Serialization;
using HashSet = System.Collections.Generic.HashSet<string>;

namespace PandaProbe.Properties.Wire;

/// <summary>
/// Every completed trace's body satisfies the platform's schema rules: for arbitrary event scripts (well-formed, late
/// spans, ill-formed, interleaved, corrupted), each <see cref="Output.TraceCompleted"/> trace, enriched as the pipeline
/// enriches it and written by
/// <see cref="WireJson.Trace(TraceRecord)"/> passes <see cref="WireRules"/> (and, in the development checkout, the
/// platform's <c>openapi.json</c>), and so does each late span body written by <see cref="WireJson.Spans"/>.
/// </summary>
public class SchemaProperties
{
    /// <summary>The writer under test: the trace body carrying the given spans.</summary>
    public delegate string TraceWriter(TraceRecord trace, IEnumerable<Span> spans);

    static readonly TraceWriter Real = WireJson.Trace;

    /// <summary>The violations found in every body produced from one script (empty when all are acceptable).</summary>
    internal static List<string> Violations(IReadOnlyList<TraceEvent> script, TraceWriter write, OpenApiChecker? schema)
    {
        // What the serializer receives: the reducer's outputs after the pipeline's enrichment.
        var outputs = TraceReducer.Fold(script).Outputs.Map(o => Enricher.LimitsOnly.Output(o).Value).Strict();
        var errors = new List<string>();
        // Every span the reducer started, per trace: a parent missing from a body must be one of these (late or never ended).
        var started = new Dictionary<TraceId, HashSet>();
        foreach (var o in outputs)
            if (o is Output.SpanStarted s)
                (started.TryGetValue(s.Span.Trace, out var set) ? set : started[s.Span.Trace] = []).Add(s.Span.Id.ToString());
        HashSet StartedIn(TraceId t) => started.TryGetValue(t, out var set) ? set : [];

        foreach (var completed in outputs.OfType<Output.TraceCompleted>())
        {
            var trace = completed.Trace;
            var inBody = trace.Spans.Select(sp => sp.Id.ToString()).ToHashSet();
            var absent = StartedIn(trace.Id).Where(id => !inBody.Contains(id)).ToHashSet();
            using var whole = JsonDocument.Parse(write(trace, trace.Spans));
            errors.AddRange(WireRules.Trace(whole.RootElement, absent).Select(e => $"trace {trace.Id}: {e}"));
            if (whole.RootElement.TryGetProperty("trace_id", out var id) && id.ValueKind == JsonValueKind.String
                && id.GetString() != trace.Id.ToString())
                errors.Add($"trace {trace.Id}: trace_id {id.GetString()} is not the trace's id");
            if (trace.EndedAt is not null && !whole.RootElement.TryGetProperty("ended_at", out _))
                errors.Add($"trace {trace.Id}: a completed trace's body has no ended_at");

            // The request the HTTP exporter sends first: at most 500 spans (parents may be in a later request).
            using var first = JsonDocument.Parse(write(trace, trace.Spans.Take(Limits.MaxSpansPerRequest)));
            errors.AddRange(WireRules.Trace(first.RootElement, absent.Union(inBody).ToHashSet(), Limits.MaxSpansPerRequest)
                .Select(e => $"trace {trace.Id} (first request): {e}"));
            if (schema is not null)
                errors.AddRange(schema.Check("TraceCreate", first.RootElement).Select(e => $"trace {trace.Id} (openapi): {e}"));
        }

        foreach (var late in outputs.OfType<Output.SpanCompleted>().Where(c => c.AfterTrace).GroupBy(c => c.Span.Trace))
        {
            using var body = JsonDocument.Parse(WireJson.Spans(late.Select(c => c.Span)));
            errors.AddRange(WireRules.LateSpans(body.RootElement, StartedIn(late.Key)).Select(e => $"late spans of {late.Key}: {e}"));
            if (schema is not null && body.RootElement.ValueKind == JsonValueKind.Array)
                foreach (var span in body.RootElement.EnumerateArray())
                    errors.AddRange(schema.Check("SpanCreate", span).Select(e => $"late span of {late.Key} (openapi): {e}"));
        }
        return errors;
    }

    static Property Holds(IReadOnlyList<TraceEvent> script, TraceWriter write, OpenApiChecker? schema)
    {
        var errors = Violations(script, write, schema);
        return Claim.All(errors.Select(e => (false, e)), () => $"{script.Count} events");
    }

    static OpenApiChecker? SchemaIfPresent() => SharedApi.OpenApiPath is { } path ? OpenApiChecker.Load(path) : null;

    /// <summary>The platform's schema, loaded once (null outside the development checkout).</summary>
    static readonly Lazy<OpenApiChecker?> Schema = new(SchemaIfPresent);

    [TraceProperty]
    public Property Every_completed_trace_and_late_span_body_satisfies_the_platform_rules(ScriptPlan p) =>
        Holds(Scripts.Any(p.Steps, p.Clock), Real, Schema.Value);

    [Fact]
    public void The_scripts_of_the_body_property_complete_traces_and_late_spans()
    {
        // Not vacuous: on a fixed sample of the plans the property above draws from, the scripts complete traces and
        // produce late spans.
        var (traces, late) = (0, 0);
        foreach (var p in Plans.Script.Generator.Sample(50, new Rnd(20260519UL), 100))
        {
            var outputs = TraceReducer.Fold(Scripts.Any(p.Steps, p.Clock)).Outputs;
            traces += outputs.Count(o => o is Output.TraceCompleted);
            late += outputs.Count(o => o is Output.SpanCompleted { AfterTrace: true });
        }
        Assert.True(traces > 0 && late > 0, $"{traces} completed traces, {late} late spans");
    }

    [TraceProperty]
    public Property Late_span_scripts_give_valid_trace_and_late_span_bodies(ScriptPlan p) =>
        Holds(Scripts.WithLateSpans(p.Steps, Plans.ClockOf(p.Clock)), Real, Schema.Value);

    [TraceProperty]
    public Property Ill_formed_scripts_give_valid_bodies_for_whatever_completes(ScriptPlan p) =>
        Holds(Scripts.IllFormed(p.Steps, Plans.ClockOf(p.Clock)), Real, Schema.Value);

    [TraceProperty]
    public Property Interleaved_traces_give_valid_bodies(InterleavingPlan p) =>
        Holds(Scripts.Interleave(Scripts.Independent(p.Traces), p.Merge), Real, Schema.Value);

    [OpenApiFact]
    public void The_schema_is_checked_in_the_development_checkout()
    {
        // The facts above use the schema when present; this one proves it is really loaded and consulted.
        var schema = SchemaIfPresent();
        Assert.NotNull(schema);
        var trace = new TraceRecord
        {
            Id = TraceId.New(), Name = "t", StartedAt = Values.Epoch, EndedAt = Values.Epoch.AddSeconds(1),
            Status = TraceStatus.Completed,
        };
        using var ok = JsonDocument.Parse(WireJson.Trace(trace));
        Assert.Empty(schema.Check("TraceCreate", ok.RootElement));
        using var bad = JsonDocument.Parse(WireJson.Trace(trace).Replace("\"COMPLETED\"", "\"completed\""));
        Assert.NotEmpty(schema.Check("TraceCreate", bad.RootElement));
    }
}

/// <summary>Evidence that the schema property can fail: broken bodies and broken writers are caught.</summary>
public class SchemaPropertiesCanFail
{
    static readonly Config MustFind = TracePropertyAttribute.MustFind(300);

    static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    static readonly HashSet NoParents = [];

    const string Span = """{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00"}""";

    static string TraceWith(string extra) =>
        $$"""{"trace_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b10","name":"t","status":"COMPLETED","started_at":"2026-05-19T10:00:00+00:00"{{extra}}}""";

    [Fact]
    public void A_good_body_passes_the_rules()
    {
        Assert.Empty(WireRules.Trace(Parse(TraceWith($$""","spans":[{{Span}}]""")), NoParents));
        Assert.Empty(WireRules.LateSpans(Parse($"[{Span}]"), null));
    }

    [Theory]
    [InlineData(""","metadata":null""", "metadata: null")]
    [InlineData(""","tags":null""", "tags: null")]
    [InlineData(""","spans":null""", "spans: null")]
    [InlineData(""","tags":[1]""", "tags[0]")]
    [InlineData(""","session_id":"LONG256" """, "session_id: length 256")]
    [InlineData(""","ended_at":"2026-05-19 10:00:00" """, "ended_at")]
    [InlineData(""","colour":"red" """, "colour: unknown key")]
    [InlineData(""","spans":[{"span_id":"0B7D2C1E-5F0A-4C4E-9A51-3F1E0D2A9B11","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00"}]""", "not a lower-case")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":"llm","status":"OK","started_at":"2026-05-19T10:00:00+00:00"}]""", "kind: 'llm'")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00"}]""", "name: length 0")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":null,"status":"OK","started_at":"2026-05-19T10:00:00+00:00"}]""", "kind: null")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00","token_usage":{"prompt_tokens":1.5}}]""", "not an integer")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00","cost":{"total":"1"}}]""", "not a finite number")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00","model_parameters":[1]}]""", "model_parameters: expected Object")]
    [InlineData(""","spans":[{"span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b11","parent_span_id":"0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b99","name":"s","kind":"LLM","status":"OK","started_at":"2026-05-19T10:00:00+00:00"}]""", "neither in the body")]
    public void A_broken_body_is_caught_by_the_rules(string extra, string expected)
    {
        var errors = WireRules.Trace(Parse(TraceWith(extra.TrimEnd().Replace("LONG256", new string('u', 256)))), NoParents);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_required_key_and_too_many_spans_are_caught()
    {
        Assert.Contains(WireRules.Trace(Parse("""{"name":"t"}"""), NoParents), e => e.Contains("started_at: required"));
        var spans = string.Join(",", Enumerable.Range(0, 3).Select(i =>
            Span.Replace("9b11", $"9c{i:D2}")));
        Assert.Empty(WireRules.Trace(Parse(TraceWith($",\"spans\":[{spans}]")), NoParents));
        Assert.Contains(WireRules.Trace(Parse(TraceWith($",\"spans\":[{spans}]")), NoParents, maxSpans: 2),
            e => e.Contains("more than 2"));
    }

    [Fact]
    public void A_parent_that_ends_late_is_allowed_in_the_trace_body_and_required_of_late_spans()
    {
        const string parent = "0b7d2c1e-5f0a-4c4e-9a51-3f1e0d2a9b99";
        var child = Span.Replace("\"name\"", $"\"parent_span_id\":\"{parent}\",\"name\"");
        Assert.Empty(WireRules.Trace(Parse(TraceWith($",\"spans\":[{child}]")), new HashSet { parent }));
        Assert.Empty(WireRules.LateSpans(Parse($"[{child}]"), new HashSet { parent }));
        Assert.NotEmpty(WireRules.LateSpans(Parse($"[{child}]"), new HashSet { "other" }));
    }

    // Writers with one deliberate bug each: the property must find it on generated scripts.
    static readonly SchemaProperties.TraceWriter UpperCaseIds = (t, spans) =>
        WireJson.Trace(t, spans).Replace(t.Id.ToString(), t.Id.ToString().ToUpperInvariant());

    static readonly SchemaProperties.TraceWriter NullTags = (t, spans) =>
        WireJson.Trace(t, spans).Replace("\"tags\":[", "\"tags\":null,\"labels\":[");

    static readonly SchemaProperties.TraceWriter LowerCaseKinds = (t, spans) =>
        WireJson.Trace(t, spans).Replace("\"kind\":\"LLM\"", "\"kind\":\"llm\"");

    static readonly SchemaProperties.TraceWriter DroppedParents = (t, spans) =>
        WireJson.Trace(t, spans.Where(s => s.Parent is not null));

    [Theory]
    [InlineData(nameof(UpperCaseIds))]
    [InlineData(nameof(NullTags))]
    [InlineData(nameof(LowerCaseKinds))]
    [InlineData(nameof(DroppedParents))]
    public void A_broken_writer_fails_the_property(string writer)
    {
        var write = writer switch
        {
            nameof(UpperCaseIds) => UpperCaseIds,
            nameof(NullTags) => NullTags,
            nameof(LowerCaseKinds) => LowerCaseKinds,
            _ => DroppedParents,
        };
        Assert.ThrowsAny<Exception>(() =>
            Prop.ForAll(Plans.Unshrunk(Plans.Script),
                    p => Claim.All(SchemaProperties.Violations(Scripts.WellFormed(p.Steps, Plans.ClockOf(p.Clock)), write, null)
                        .Select(e => (false, e))))
                .Check(MustFind));
    }
}
