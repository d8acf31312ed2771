using System.Text.Json;
using LanguageExt;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Enrichment;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using PandaProbe.Unit.Support;
using Xunit;
using static LanguageExt.Prelude;

namespace PandaProbe.Unit.Delivery;

/// <summary>
/// The export side fits inputs, outputs and metadata to budgets per value, per span and per trace (the defaults or the
/// user's), visibly, keeping a JSON value's shape, and reports every cut.
/// </summary>
public class PayloadBudgetTests
{
    static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    static Span SpanWith(TraceId trace, int inputChars, int outputChars) => new()
    {
        Id = SpanId.New(), Trace = trace, Name = "s", Kind = SpanType.Tool, StartedAt = T0, EndedAt = T0,
        Input = Payload.Text(new string('i', inputChars)), Output = Payload.Text(new string('o', outputChars)),
    };

    static TraceRecord TraceWith(params Func<TraceId, Span>[] spans)
    {
        var id = TraceId.New();
        return new TraceRecord { Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Spans = spans.Select(s => s(id)).ToSeq().Strict() };
    }

    static long Chars(TraceRecord t) => t.Spans.Sum(s => (long)((s.Input?.Value.Length ?? 0) + (s.Output?.Value.Length ?? 0)));

    [Fact]
    public void A_trace_within_the_budgets_is_the_same_trace()
    {
        var trace = TraceWith(id => SpanWith(id, 1000, 1000));
        var enriched = Enricher.LimitsOnly.Trace(trace);
        Assert.Same(trace, enriched.Value);
        Assert.True(enriched.Adjustments.IsEmpty);
    }

    [Fact]
    public void A_span_over_its_budget_keeps_its_share_of_each_value_with_a_marker()
    {
        // The value budget as large as the span's, so that the span's is the one that binds.
        var enricher = Enricher.LimitsOnly with { Budgets = new PayloadBudgets(Limits.MaxSpanPayloadChars, Limits.MaxSpanPayloadChars, Limits.MaxTracePayloadChars) };
        var trace = TraceWith(id => SpanWith(id, 3 << 20, 3 << 20), id => SpanWith(id, 10, 10));
        var enriched = enricher.Trace(trace);

        var big = enriched.Value.Spans[0];
        Assert.Equal(Limits.MaxSpanPayloadChars / 2, (big.Input?.Value.Length ?? 0));
        Assert.EndsWith(Limits.TruncationMarker, (big.Output?.Value ?? ""));
        Assert.Equal(trace.Spans[1], enriched.Value.Spans[1]);
        Assert.Equal(2, enriched.Adjustments.Count);
        Assert.All(enriched.Adjustments, a => Assert.Contains("span budget", a, StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_budget_the_user_sets_cuts_each_value_to_it()
    {
        var trace = TraceWith(id => SpanWith(id, 3 << 20, 3 << 20), id => SpanWith(id, 10, 10));
        var enriched = WithBudgets(1 << 20, Limits.MaxSpanPayloadChars, Limits.MaxTracePayloadChars).Trace(trace);

        var big = enriched.Value.Spans[0];
        Assert.Equal(1 << 20, big.Input!.Value.Length);
        Assert.Equal(1 << 20, big.Output!.Value.Length);
        Assert.Equal(
            ["spans[0].input: 3,145,728 characters cut to 1,048,576 (value budget 1,048,576)",
             "spans[0].output: 3,145,728 characters cut to 1,048,576 (value budget 1,048,576)"],
            enriched.Adjustments.ToArray());
    }

    [Fact]
    public void A_trace_over_its_budget_is_cut_to_it()
    {
        var spans = Enumerable.Range(0, 12).Select(_ => (Func<TraceId, Span>)(id => SpanWith(id, 1 << 20, 1 << 20))).ToArray();
        var trace = TraceWith(spans);
        Assert.True(Chars(trace) > Limits.MaxTracePayloadChars);

        var enriched = Enricher.LimitsOnly.Trace(trace).Value;

        Assert.True(Chars(enriched) <= Limits.MaxTracePayloadChars);
        Assert.All(enriched.Spans, s => Assert.EndsWith(Limits.TruncationMarker, (s.Input?.Value ?? "")));
    }

    [Fact]
    public void A_late_span_over_its_budget_is_cut_too()
    {
        var span = SpanWith(TraceId.New(), 5 << 20, 1);

        // By default the value budget is the span's: the span's binds, and the small output leaves the rest to the input.
        var cut = Enricher.LimitsOnly.Span(span);
        Assert.Equal(Limits.MaxSpanPayloadChars - 1, cut.Value.Input!.Value.Length);
        Assert.Same(span.Output, cut.Value.Output);
        Assert.Single(cut.Adjustments);

        // With a smaller value budget, the value's binds.
        var narrow = WithBudgets(1 << 20, Limits.MaxSpanPayloadChars, Limits.MaxTracePayloadChars).Span(span);
        Assert.Equal(1 << 20, narrow.Value.Input?.Value.Length ?? 0);
        Assert.Equal(span.Output, narrow.Value.Output);
        Assert.Equal(["span.input: 5,242,880 characters cut to 1,048,576 (value budget 1,048,576)"], narrow.Adjustments.ToArray());
    }

    // ---- shape-preserving cuts ----

    const string Marker = Limits.TruncationMarker;

    static Enricher WithBudgets(int value, int span, int trace) => Enricher.LimitsOnly with { Budgets = new PayloadBudgets(value, span, trace) };

    [Fact]
    public void A_JSON_object_with_one_huge_string_keeps_its_shape()
    {
        var content = string.Concat(Enumerable.Repeat("line \"quoted\"\n", 300_000));   // about 4.5 M characters, with escapes
        var json = $$"""{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":{{JsonText.Quote(content)}}}],"temperature":0.5,"stream":false,"stop":null}""";
        var id = TraceId.New();
        var span = SpanWith(id, 10, 10) with { Input = Payload.Json(json) };
        var trace = new TraceRecord { Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Spans = Seq1(span) };

        var enriched = Enricher.LimitsOnly.Trace(trace);

        var input = enriched.Value.Spans[0].Input!;
        Assert.False(input.IsText);
        Assert.True(input.Length <= PayloadBudgets.Default.MaxValueChars, $"{input.Length} characters");
        Assert.True(input.Length > PayloadBudgets.Default.MaxValueChars - 64, $"only {input.Length} characters kept");
        using var doc = JsonDocument.Parse(input.Value);
        var root = doc.RootElement;
        Assert.Equal(["model", "messages", "temperature", "stream", "stop"], root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("gpt-4o", root.GetProperty("model").GetString());
        Assert.Equal(0.5, root.GetProperty("temperature").GetDouble());
        Assert.Equal(JsonValueKind.False, root.GetProperty("stream").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("stop").ValueKind);
        var messages = root.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal("be brief", messages[0].GetProperty("content").GetString());
        var cut = messages[1].GetProperty("content").GetString()!;
        Assert.EndsWith(Marker, cut, StringComparison.Ordinal);
        Assert.StartsWith(cut[..^Marker.Length], content, StringComparison.Ordinal);
        Assert.Equal(["spans[0].input"], enriched.Adjustments.Select(a => a[..a.IndexOf(':')]).ToArray());
    }

    [Fact]
    public void Every_long_string_is_cut_to_one_cap_and_short_ones_are_kept()
    {
        var json = JsonSerializer.Serialize(new { a = new string('a', 5000), b = new string('b', 3000), c = "short", n = 42 });
        var cut = PayloadCut.Cut(Payload.Json(json), 4096);
        Assert.True(cut.Length <= 4096, $"{cut.Length}");
        using var doc = JsonDocument.Parse(cut.Value);
        var a = doc.RootElement.GetProperty("a").GetString()!;
        var b = doc.RootElement.GetProperty("b").GetString()!;
        Assert.Equal(a.Length, b.Length);   // one cap for both
        Assert.EndsWith(Marker, a, StringComparison.Ordinal);
        Assert.EndsWith(Marker, b, StringComparison.Ordinal);
        Assert.Equal("short", doc.RootElement.GetProperty("c").GetString());
        Assert.Equal(42, doc.RootElement.GetProperty("n").GetInt32());
    }

    [Fact]
    public void A_long_array_of_numbers_loses_its_last_elements_for_a_marker_element()
    {
        var numbers = Enumerable.Range(0, 100_000).Select(i => i * 0.001).ToArray();
        var json = JsonSerializer.Serialize(new { text = "hello", embedding = numbers, after = 1 });
        var cut = PayloadCut.Cut(Payload.Json(json), 4096);

        Assert.False(cut.IsText);
        Assert.True(cut.Length <= 4096, $"{cut.Length}");
        using var doc = JsonDocument.Parse(cut.Value);
        Assert.Equal("hello", doc.RootElement.GetProperty("text").GetString());
        var kept = doc.RootElement.GetProperty("embedding").EnumerateArray().ToArray();
        Assert.True(kept.Length > 100, $"{kept.Length} elements kept");
        Assert.Equal(Marker, kept[^1].GetString());
        Assert.Equal(numbers.Take(kept.Length - 1), kept[..^1].Select(e => e.GetDouble()));
        Assert.Equal(1, doc.RootElement.GetProperty(PayloadCut.TruncatedMember).GetInt32());   // "after" left out
    }

    [Fact]
    public void An_object_of_many_members_ends_with_how_many_were_left_out()
    {
        var members = Enumerable.Range(0, 5000).ToDictionary(i => $"key{i}", i => i);
        var cut = PayloadCut.Cut(Payload.Json(JsonSerializer.Serialize(members)), 2048);
        Assert.True(cut.Length <= 2048, $"{cut.Length}");
        using var doc = JsonDocument.Parse(cut.Value);
        var kept = doc.RootElement.EnumerateObject().ToArray();
        Assert.Equal(PayloadCut.TruncatedMember, kept[^1].Name);
        Assert.Equal(5000, kept.Length - 1 + kept[^1].Value.GetInt32());
        Assert.Equal(Enumerable.Range(0, kept.Length - 1).Select(i => $"key{i}"), kept[..^1].Select(p => p.Name));
    }

    [Theory]
    [InlineData("{\"a\": [1, 2, ")]            // not JSON
    [InlineData("[[[[[[[[[[")]
    public void A_value_that_is_not_JSON_is_cut_as_text(string start)
    {
        var payload = Payload.Json(start + new string('x', 5000));
        var cut = PayloadCut.Cut(payload, 1024);
        Assert.True(cut.IsText);
        Assert.Equal(1024, cut.Length);
        Assert.Equal(Limits.Truncate(payload.Value, 1024), cut.Value);
    }

    [Fact]
    public void A_text_is_cut_as_before_and_a_value_within_its_share_is_the_same()
    {
        var text = Payload.Text(new string('t', 3000) + "😀");
        Assert.Equal(Payload.Text(Limits.Truncate(text.Value, 2000)), PayloadCut.Cut(text, 2000));
        Assert.Same(text, PayloadCut.Cut(text, 3002));
        var json = Payload.Json("{\"a\":1}");
        Assert.Same(json, PayloadCut.Cut(json, 1024));
    }

    [Fact]
    public void Pretty_printed_JSON_that_fits_once_compact_keeps_every_string_whole()
    {
        var value = new { a = new string('a', 900), b = Enumerable.Range(0, 40).ToArray() };
        var pretty = JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true });
        var compact = JsonSerializer.Serialize(value);
        Assert.True(pretty.Length > 1100 && compact.Length < 1100);
        Assert.Equal(compact, PayloadCut.Cut(Payload.Json(pretty), 1100).Value);
    }

    [Fact]
    public void A_UTF8_payload_is_cut_with_its_shape()
    {
        var utf8 = JsonSerializer.SerializeToUtf8Bytes(new { text = new string('ü', 10_000) });
        var cut = PayloadCut.Cut(Payload.Utf8Json(utf8), 2048);
        using var doc = JsonDocument.Parse(cut.Value);
        Assert.EndsWith(Marker, doc.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(cut.Length <= 2048);
    }

    // ---- every cut counted ----

    [Fact]
    public void Every_cut_is_one_adjustment()
    {
        var id = TraceId.New();
        var big = Payload.Text(new string('x', 3000));
        var spans = Enumerable.Range(0, 3).Select(i => SpanWith(id, i == 1 ? 10 : 3000, 10) with
        {
            Metadata = i == 2 ? Map(("big", big), ("small", Payload.Text("s"))) : default,
        }).ToSeq().Strict();
        var trace = new TraceRecord
        {
            Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Input = big, Output = Payload.Json("\"" + new string('y', 3000) + "\""),
            Metadata = Map(("huge", big)), Spans = spans,
        };

        var enriched = WithBudgets(2048, 1 << 20, 4 << 20).Trace(trace);

        var fields = enriched.Adjustments.Select(a => a[..a.IndexOf(':')]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["input", "metadata.huge", "output", "spans[0].input", "spans[2].input", "spans[2].metadata.big"], fields);
        Assert.Same(trace.Spans[1], enriched.Value.Spans[1]);
        Assert.Same(trace.Spans[2].Output, enriched.Value.Spans[2].Output);
        Assert.Same(trace.Spans[2].Metadata["small"], enriched.Value.Spans[2].Metadata["small"]);
        Assert.All(enriched.Adjustments, a => Assert.Contains("(value budget 2,048)", a, StringComparison.Ordinal));
        Assert.Equal("y", enriched.Value.Output!.Value[1..2]);   // a JSON string stays a JSON string
        Assert.False(enriched.Value.Output.IsText);
    }

    [Fact]
    public void The_trace_budget_cuts_only_the_largest_values_to_one_share()
    {
        var id = TraceId.New();
        var trace = new TraceRecord
        {
            Id = id, Name = "t", StartedAt = T0, EndedAt = T0,
            Spans = Seq(SpanWith(id, 6000, 100), SpanWith(id, 5000, 100), SpanWith(id, 500, 100)),
        };
        var enriched = WithBudgets(8192, 8192, 8192).Trace(trace).Value;   // 11,800 characters over 8,192

        Assert.True(Chars(enriched) <= 8192, $"{Chars(enriched)}");
        Assert.Equal(500, enriched.Spans[2].Input!.Value.Length);
        Assert.Equal(enriched.Spans[0].Input!.Value.Length, enriched.Spans[1].Input!.Value.Length);   // one share
        Assert.True(Chars(enriched) > 8192 - 8, "the share is the largest that fits");
        Assert.Equal(100, enriched.Spans[0].Output!.Value.Length);
    }

    [Fact]
    public void A_trace_within_every_budget_allocates_nothing()
    {
        var id = TraceId.New();
        var trace = new TraceRecord
        {
            Id = id, Name = "t", StartedAt = T0, EndedAt = T0, Input = Payload.Text("in"), Metadata = Map(("a", Payload.Text("1")), ("b", Payload.Json("2"))),
            Spans = Enumerable.Range(0, 20).Select(_ => SpanWith(id, 100, 100) with { Metadata = Map(("k", Payload.Text("v"))) }).ToSeq().Strict(),
        };
        var enricher = Enricher.LimitsOnly;
        Assert.Same(trace, enricher.Trace(trace).Value);   // warm
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) _ = enricher.Trace(trace);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- the user's budgets ----

    static async Task<(TraceRecord Trace, long Adjusted)> ExportOne(Action<PandaProbeOptions> configure)
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(configure, exporter);
        using (var trace = client.StartTrace("t", input: new string('i', 5000)))
        {
            using var span = trace.Span("s");
            span.SetOutput(new { answer = new string('a', 5000), tokens = 3 });
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        return (Assert.Single(exporter.Traces), result.Health.Adjusted);
    }

    [Theory]
    [InlineData("option")]
    [InlineData("environment")]
    public async Task The_value_budget_is_set_by_the_option_or_the_environment(string how)
    {
        var (trace, adjusted) = await ExportOne(o =>
        {
            if (how == "option") o.MaxValueChars = 2048;
            else o.EnvironmentVariables = new Dictionary<string, string?> { [SettingNames.MaxValueChars] = "2048" };
        });

        Assert.Equal(2048, trace.Input!.Value.Length);
        Assert.EndsWith(Marker, trace.Input.Value, StringComparison.Ordinal);
        var output = trace.Spans.Single().Output!;
        Assert.True(output.Length <= 2048);
        using var doc = JsonDocument.Parse(output.Value);
        Assert.EndsWith(Marker, doc.RootElement.GetProperty("answer").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, doc.RootElement.GetProperty("tokens").GetInt32());
        Assert.Equal(2, adjusted);
    }

    [Fact]
    public async Task The_default_budgets_leave_these_values_whole_and_the_option_wins_over_the_environment()
    {
        var (whole, adjusted) = await ExportOne(_ => { });
        Assert.Equal(5000, whole.Input!.Value.Length);
        Assert.Equal(0, adjusted);

        var (trace, _) = await ExportOne(o =>
        {
            o.MaxValueChars = 3000;
            o.EnvironmentVariables = new Dictionary<string, string?> { [SettingNames.MaxValueChars] = "2048" };
        });
        Assert.Equal(3000, trace.Input!.Value.Length);
    }

    [Theory]
    [InlineData(SettingNames.MaxValueChars, "lots", "MaxValueChars")]
    [InlineData(SettingNames.MaxValueChars, "1000", "MaxValueChars")]
    [InlineData(SettingNames.MaxValueChars, "-1", "MaxValueChars")]
    [InlineData(SettingNames.MaxSpanChars, "0", "MaxSpanChars")]
    [InlineData(SettingNames.MaxTraceChars, "1e6", "MaxTraceChars")]
    [InlineData(SettingNames.MaxValueChars, "8388608", "MaxValueChars")]   // more than the span budget
    [InlineData(SettingNames.MaxSpanChars, "33554432", "MaxSpanChars")]    // more than the trace budget
    public void An_invalid_budget_in_the_environment_stops_the_client_naming_it(string variable, string value, string option)
    {
        var error = Assert.Throws<ArgumentException>(() => TestClient.Create(o =>
            o.EnvironmentVariables = new Dictionary<string, string?> { [variable] = value }));
        Assert.Equal(option, error.ParamName);
        Assert.Contains($"{option} ({variable})", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_budget_option_stops_the_client_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => TestClient.Create(o => { o.MaxSpanChars = 4096; o.MaxTraceChars = 2048; }));
        Assert.Equal("MaxSpanChars", error.ParamName);
        Assert.Contains("MaxSpanChars (PANDAPROBE_MAX_SPAN_CHARS): 4096 is more than MaxTraceChars 2048", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxValueChars (PANDAPROBE_MAX_VALUE_CHARS)",
            Assert.Throws<ArgumentException>(() => TestClient.Create(o => o.MaxValueChars = 10)).Message, StringComparison.Ordinal);
        Assert.Contains("MaxTraceChars (PANDAPROBE_MAX_TRACE_CHARS): 1023 is below the minimum 1024",
            string.Join(" ", new PandaProbeOptions { MaxTraceChars = 1023, EnvironmentVariables = TestClient.NoEnvironment }.Validate()), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unset_budget_follows_a_smaller_one_that_is_set()
    {
        Assert.Equal(new PayloadBudgets(2048, 2048, 2048), PayloadBudgets.Resolve(null, null, 2048));
        Assert.Equal(new PayloadBudgets(2 << 20, 2 << 20, Limits.MaxTracePayloadChars), PayloadBudgets.Resolve(null, 2 << 20, null));
        Assert.Equal(PayloadBudgets.Default, PayloadBudgets.Resolve(null, null, null));
        Assert.True(PayloadBudgets.Default.Problems().IsEmpty);
        Assert.Equal(PayloadBudgets.Default, EnvironmentSettings.Resolve(null, new System.Collections.Hashtable()).Budgets);
        Assert.Equal(new PayloadBudgets(4096, 8192, 16384), EnvironmentSettings.Resolve(new SettingsOverrides { MaxTraceChars = 16384 },
            new System.Collections.Hashtable { [SettingNames.MaxValueChars] = "4096", [SettingNames.MaxSpanChars] = " 8192 " }).Budgets);
    }
}
