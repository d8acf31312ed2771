using PandaProbe.Model.Enrichment;
using PandaProbe.Properties.Generators;
using PandaProbe.Properties.Checks;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>Properties of <see cref="Limits"/> and of how the enrichment applies them.</summary>
public class LimitsProperties
{
    const string Marker = Limits.TruncationMarker;

    // Repeats the text so that many cases are over the limit (FsCheck strings are short).
    static string Long(string? text, byte repeat) => string.Concat(Enumerable.Repeat(text ?? "", 1 + repeat % 40));

    [TraceProperty]
    public Property Truncation_keeps_a_prefix_and_ends_with_the_marker(string? value, byte limit)
    {
        var text = Long(value, limit);
        var max = Marker.Length + limit % 64;
        var cut = Limits.Truncate(text, max);
        return Claim.All(
        [
            (cut.Length <= max, $"{cut.Length} characters, the limit is {max}"),
            (text.Length > max || cut == text, "a value within the limit was changed"),
            (text.Length <= max || cut.EndsWith(Marker, StringComparison.Ordinal), "a truncated value does not end with the marker"),
            (text.Length <= max || text.StartsWith(cut[..^Marker.Length], StringComparison.Ordinal), "a truncated value does not keep a prefix"),
            (text.Length <= max || cut.Length >= max - 1, $"a truncated value has only {cut.Length} of {max} characters"),
        ]);
    }

    [TraceProperty]
    public Property Truncation_never_splits_a_surrogate_pair(byte limit)
    {
        // Emoji are surrogate pairs in UTF-16; an odd prefix puts a pair across every other cut.
        var text = new string('a', limit / 64 % 2) + string.Concat(Enumerable.Repeat("😀", 1 + limit));
        var cut = Limits.Truncate(text, Marker.Length + limit % 64);
        var lone = cut.Select((c, i) => char.IsHighSurrogate(c) && (i + 1 == cut.Length || !char.IsLowSurrogate(cut[i + 1]))
                                 || char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(cut[i - 1]))).Any(x => x);
        return (!lone).Label($"'{cut}' holds a lone surrogate");
    }

    [TraceProperty]
    public Property Fitted_names_have_1_to_512_characters_and_are_never_blank(string? value, byte limit)
    {
        var name = limit % 7 == 0 ? null : Long(value, limit);
        var fitted = Limits.Name(name);
        return Claim.All(
        [
            (fitted.Length is >= 1 and <= Limits.MaxNameLength, $"{fitted.Length} characters"),
            (!string.IsNullOrWhiteSpace(fitted), "blank"),
            (string.IsNullOrWhiteSpace(name) || name.Length > Limits.MaxNameLength || fitted == name, "a fitting name was changed"),
        ]);
    }

    [TraceProperty]
    public Property Fitted_short_texts_have_at_most_255_characters(string? value, byte limit)
    {
        var text = Long(value, limit);
        var fitted = Limits.ShortText(text);
        return (fitted.Length <= Limits.MaxShortTextLength && (text.Length > Limits.MaxShortTextLength || fitted == text))
            .Label($"{text.Length} characters became {fitted.Length}");
    }

    [TraceProperty]
    public Property Every_trace_and_span_the_enrichment_passes_on_fits_the_limits(ScriptPlan p)
    {
        var outputs = TraceReducer.Fold(Scripts.Any(p.Steps, p.Clock)).Outputs
            .Concat(TraceReducer.Fold(Scripts.IllFormed(p.Steps)).Outputs)
            .Select(o => Enricher.LimitsOnly.Output(o).Value);
        var violations = outputs.SelectMany(o => o switch
        {
            Output.TraceStarted s => TimeAndLimits.OfTrace(s.Trace),
            Output.TraceCompleted c => TimeAndLimits.OfTrace(c.Trace),
            Output.SpanStarted s => TimeAndLimits.OfSpan(s.Span),
            Output.SpanCompleted c => TimeAndLimits.OfSpan(c.Span),
            _ => [],
        }).Take(5).ToList();
        return (violations.Count == 0).Label(string.Join("\n", violations));
    }

    [TraceProperty]
    public Property Every_repaired_name_or_short_text_is_reported_once_as_adjusted(ScriptPlan p)
    {
        var checks = new List<(bool, string)>();
        foreach (var output in TraceReducer.Fold(Scripts.Any(p.Steps, p.Clock)).Outputs)
        {
            var expected = Repairs(output).Order().ToList();
            var (enriched, adjustments) = Enricher.LimitsOnly.Output(output);
            var fields = adjustments.Select(a => a[..a.IndexOf(':')]).Order().ToList();
            checks.Add((fields.SequenceEqual(expected), $"{output}: adjusted [{string.Join(",", fields)}], expected [{string.Join(",", expected)}]"));
            checks.Add((expected.Count > 0 || ReferenceEquals(enriched, output), "an output with nothing to repair was copied"));
        }
        return Claim.All(checks);
    }

    static IEnumerable<string> Repairs(Output output)
    {
        static bool Long(string? s) => s is { Length: > Limits.MaxShortTextLength };
        IEnumerable<string> OfSpan(Span s)
        {
            if (Limits.Name(s.Name) != s.Name) yield return "span name";
            if (Long(s.Model)) yield return "model";
        }
        IEnumerable<string> OfTrace(TraceRecord t)
        {
            if (Limits.Name(t.Name) != t.Name) yield return "trace name";
            if (Long(t.SessionId)) yield return "session_id";
            if (Long(t.UserId)) yield return "user_id";
            if (Long(t.Environment)) yield return "environment";
            if (Long(t.Release)) yield return "release";
            foreach (var f in t.Spans.SelectMany(OfSpan)) yield return f;
        }
        return output switch
        {
            Output.TraceStarted s => OfTrace(s.Trace),
            Output.TraceCompleted c => OfTrace(c.Trace),
            Output.SpanStarted s => OfSpan(s.Span),
            Output.SpanCompleted c => OfSpan(c.Span),
            _ => [],
        };
    }

    // ---- size budgets ----

    /// <summary>A value of about <paramref name="scale"/> characters or fewer, of every kind the budgets meet.</summary>
    static Payload Big(Random r, int scale)
    {
        var n = r.Next(scale);
        string Text()
        {
            var text = string.Concat(Enumerable.Range(0, n / 3 + 1).Select(i => (i % 5) switch { 0 => "line\n", 1 => "\"q\" ", 2 => "😀 ", _ => "abcdefg " }))[..n];
            return text.Length > 0 && char.IsHighSurrogate(text[^1]) ? text[..^1] : text;
        }
        return r.Next(7) switch
        {
            0 => Payload.Text(Text()),
            1 => Payload.Json(JsonText.Quote(Text())),
            2 => Payload.Json($$"""{"role":"user","content":{{JsonText.Quote(Text())}},"n":1,"parts":["a",{{JsonText.Quote(Text())}}],"ok":true}"""),
            3 => Payload.Json("[" + string.Join(",", Enumerable.Range(0, n / 6 + 1).Select(i => (i * 1.5).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]"),
            4 => Payload.Json("{" + string.Join(",", Enumerable.Range(0, n / 12 + 1).Select(i => $"\"k{i}\":{{\"v\":{i}}}")) + "}"),
            5 => Payload.Json("{\"not json" + new string('x', n)),
            _ => Payload.Json("{\"n\":1}"),
        };
    }

    static TraceRecord Inflate(TraceRecord t, Random r, int scale) => t with
    {
        Input = Big(r, scale), Output = r.Next(3) == 0 ? null : Big(r, scale),
        Metadata = t.Metadata.AddOrUpdate("big", Big(r, scale)),
        Spans = t.Spans.Map(s => s with
        {
            Input = Big(r, scale), Output = Big(r, scale),
            Metadata = r.Next(2) == 0 ? s.Metadata : s.Metadata.AddOrUpdate("big", Big(r, scale)),
        }).Strict(),
    };

    static IEnumerable<Payload?> ValuesOf(TraceRecord t) =>
        new[] { t.Input, t.Output }.Concat(t.Metadata.Values)
            .Concat(t.Spans.SelectMany(s => new[] { s.Input, s.Output }.Concat(s.Metadata.Values)));

    static bool IsJson(Payload p)
    {
        if (p.IsText) return false;
        try { using var _ = System.Text.Json.JsonDocument.Parse(p.Value); return true; }
        catch (System.Text.Json.JsonException) { return false; }
    }

    [TraceProperty(AtMost = 100)]
    public Property Enriched_traces_are_within_the_budgets_each_cut_is_reported_and_a_trace_within_them_is_the_same(ScriptPlan p, int seed)
    {
        var r = new Random(seed);
        var value = PayloadBudgets.MinChars + r.Next(4096);
        var perSpan = value + r.Next(8192);
        var checks = new List<(bool, string)>();
        foreach (var completed in TraceReducer.Fold(Scripts.Any(p.Steps, p.Clock)).Outputs.OfType<Output.TraceCompleted>())
        {
            var trace = Inflate(completed.Trace, r, 3 * value);
            // At least the floor of a share for every value, so that the trace budget can always be met.
            var perTrace = Math.Max(perSpan + r.Next(32 * 1024), PayloadBudgets.MinChars * 2 * (trace.Spans.Count + 1));
            var enricher = Enricher.LimitsOnly with { Budgets = new PayloadBudgets(value, perSpan, perTrace) };

            var (cut, adjustments) = enricher.Trace(trace);

            var before = ValuesOf(trace).ToList();
            var after = ValuesOf(cut).ToList();
            var total = new[] { cut.Input, cut.Output }.Concat(cut.Spans.SelectMany(s => new[] { s.Input, s.Output })).Sum(v => (long)(v?.Length ?? 0));
            var pairs = before.Zip(after, (a, b) => (First: a, Second: b)).ToList();
            var changed = pairs.Count(x => !ReferenceEquals(x.First, x.Second));
            var reported = adjustments.Count(a => a.Contains(" characters cut to ", StringComparison.Ordinal));
            checks.Add((after.All(v => v is null || v.Length <= value), $"a value over the value budget {value}"));
            checks.Add((cut.Spans.All(s => (long)(s.Input?.Length ?? 0) + (s.Output?.Length ?? 0) <= perSpan), $"a span over the span budget {perSpan}"));
            checks.Add((total <= perTrace, $"{total} characters, the trace budget is {perTrace}"));
            checks.Add((changed == reported, $"{changed} values cut, {reported} cuts reported"));
            checks.Add((pairs.All(x => ReferenceEquals(x.First, x.Second) || x.First!.IsText == x.Second!.IsText || !IsJson(x.First)),
                "a JSON value lost its shape"));
            checks.Add((pairs.All(x => ReferenceEquals(x.First, x.Second) || !IsJson(x.First!) || IsJson(x.Second!)),
                "a cut JSON value is no longer JSON"));
            checks.Add((ReferenceEquals(cut, enricher.Trace(cut).Value), "a trace within the budgets was copied"));
        }
        return Claim.All(checks);
    }
}
