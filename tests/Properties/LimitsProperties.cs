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
        IEnumerable<string> OfTrace(Trace t)
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
}
