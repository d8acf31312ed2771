using PandaProbe.Model.Pricing;

namespace PandaProbe.Model.Enrichment;

/// <summary>A value after enrichment, with a description of each field that was repaired to fit the platform.</summary>
/// <param name="Value">The enriched value.</param>
/// <param name="Adjustments">What was repaired, each as <c>"field: what was done"</c> (empty when nothing was).</param>
internal readonly record struct Enriched<T>(T Value, Seq<string> Adjustments);

/// <summary>
/// The one enrichment step every completed item goes through before anyone sees it, as pure functions: a trace
/// without an environment or release gets the client's; a span with a model and token usage but no cost is priced
/// from the catalogue (<see cref="CostCalculator.Apply(PriceCatalog?, Span)"/>); names and short texts are fitted to
/// the platform's limits (<see cref="Limits"/>) and non-finite cost components are left out. Each repair is reported.
/// </summary>
/// <param name="Prices">The catalogue that prices spans without a cost; <c>null</c> prices nothing.</param>
/// <param name="Environment">Stamped on traces that have no environment of their own.</param>
/// <param name="Release">Stamped on traces that have no release of their own.</param>
internal sealed record Enricher(PriceCatalog? Prices, string? Environment, string? Release)
{
    /// <summary>Fits values to the limits and nothing else.</summary>
    public static Enricher LimitsOnly { get; } = new(null, null, null);

    /// <summary>A completed trace (and each of its spans) enriched.</summary>
    public Enriched<Trace> Trace(Trace trace)
    {
        var adjusted = default(Seq<string>);
        var result = Fit(Stamp(trace), ref adjusted);
        var spans = trace.Spans;
        for (var i = 0; i < spans.Count; i++)
        {
            var span = Fit(CostCalculator.Apply(Prices, spans[i]), ref adjusted);
            if (ReferenceEquals(span, spans[i])) continue;
            // The first span that changes: copy the spans seen so far and enrich the rest.
            var all = new Span[spans.Count];
            for (var j = 0; j < i; j++) all[j] = spans[j];
            all[i] = span;
            for (var j = i + 1; j < spans.Count; j++) all[j] = Fit(CostCalculator.Apply(Prices, spans[j]), ref adjusted);
            result = result with { Spans = Seq(all).Strict() };
            break;
        }
        return new Enriched<Trace>(Budget(result, ref adjusted), adjusted);
    }

    /// <summary>
    /// Fits the inputs and outputs to the budgets: each span's to <see cref="Limits.MaxSpanPayloadChars"/>, then the
    /// trace's with all its spans to <see cref="Limits.MaxTracePayloadChars"/>; a value over its share (the budget
    /// split evenly between the values) is cut to it with the truncation marker. The same trace when it fits.
    /// </summary>
    static Trace Budget(Trace trace, ref Seq<string> adjusted)
    {
        static long Size(Payload? p) => p?.Length ?? 0;
        static long SizeOf(Span s) => Size(s.Input) + Size(s.Output);
        var total = Size(trace.Input) + Size(trace.Output);
        var over = false;
        var all = trace.Spans;
        for (var i = 0; i < all.Count; i++)   // by index: no enumerator per trace
        {
            var size = SizeOf(all[i]);
            total += size;
            over |= size > Limits.MaxSpanPayloadChars;
        }
        if (!over && total <= Limits.MaxTracePayloadChars) return trace;

        var spans = trace.Spans.Map(s => SizeOf(s) > Limits.MaxSpanPayloadChars ? Cut(s, Limits.MaxSpanPayloadChars / 2) : s).Strict();
        var result = trace with { Spans = spans };
        var afterSpans = Size(result.Input) + Size(result.Output) + spans.Sum(s => SizeOf(s));
        if (afterSpans > Limits.MaxTracePayloadChars)
        {
            var share = (int)Math.Max(1024, Limits.MaxTracePayloadChars / (2L * (spans.Count + 1)));
            result = result with
            {
                Input = CutPayload(result.Input, share), Output = CutPayload(result.Output, share),
                Spans = spans.Map(s => Cut(s, share)).Strict(),
            };
        }
        adjusted = adjusted.Add($"inputs and outputs: {total} characters cut to the budgets ({Limits.MaxSpanPayloadChars} per span, {Limits.MaxTracePayloadChars} per trace)");
        return result;

        static Span Cut(Span s, int share) => s with { Input = CutPayload(s.Input, share), Output = CutPayload(s.Output, share) };
    }

    static Payload? CutPayload(Payload? payload, int share) =>
        payload is { } p && p.Length > share ? Payload.Text(Limits.Truncate(p.Value, share)) : payload;

    /// <summary>One span (a late span, or a span a processor sees) enriched.</summary>
    public Enriched<Span> Span(Span span)
    {
        var adjusted = default(Seq<string>);
        var fitted = Fit(CostCalculator.Apply(Prices, span), ref adjusted);
        var size = (fitted.Input is { } i ? i.Length : 0L) + (fitted.Output is { } o ? o.Length : 0L);
        if (size > Limits.MaxSpanPayloadChars)
        {
            fitted = fitted with
            {
                Input = CutPayload(fitted.Input, Limits.MaxSpanPayloadChars / 2),
                Output = CutPayload(fitted.Output, Limits.MaxSpanPayloadChars / 2),
            };
            adjusted = adjusted.Add($"inputs and outputs: {size} characters cut to the budget of {Limits.MaxSpanPayloadChars} per span");
        }
        return new Enriched<Span>(fitted, adjusted);
    }

    /// <summary>A reducer output with the trace or span it carries enriched; other outputs unchanged.</summary>
    public Enriched<Output> Output(Output output)
    {
        switch (output)
        {
            case Output.TraceCompleted c:
                var trace = Trace(c.Trace);
                return ReferenceEquals(trace.Value, c.Trace) ? new(output, default) : new(new Output.TraceCompleted(trace.Value), trace.Adjustments);
            case Output.SpanCompleted c:
                var span = Span(c.Span);
                return ReferenceEquals(span.Value, c.Span) ? new(output, default) : new(c with { Span = span.Value }, span.Adjustments);
            case Output.TraceStarted s:
                var started = Trace(s.Trace);
                return ReferenceEquals(started.Value, s.Trace) ? new(output, default) : new(new Output.TraceStarted(started.Value), started.Adjustments);
            case Output.SpanStarted s:
                var opened = Span(s.Span);
                return ReferenceEquals(opened.Value, s.Span) ? new(output, default) : new(new Output.SpanStarted(opened.Value), opened.Adjustments);
            default:
                return new(output, default);
        }
    }

    Trace Stamp(Trace trace) =>
        trace.Environment is not null && trace.Release is not null || Environment is null && Release is null
            ? trace
            : trace with
            {
                Environment = trace.Environment ?? Environment,
                Release = trace.Release ?? Release,
            };

    static Trace Fit(Trace trace, ref Seq<string> adjusted)
    {
        var name = FitName(trace.Name, "trace name", ref adjusted);
        var session = FitShort(trace.SessionId, "session_id", ref adjusted);
        var user = FitShort(trace.UserId, "user_id", ref adjusted);
        var environment = FitShort(trace.Environment, "environment", ref adjusted);
        var release = FitShort(trace.Release, "release", ref adjusted);
        return ReferenceEquals(name, trace.Name) && session.Changed is false && user.Changed is false
            && environment.Changed is false && release.Changed is false
            ? trace
            : trace with
            {
                Name = name, SessionId = session.Value, UserId = user.Value, Environment = environment.Value, Release = release.Value,
            };
    }

    static Span Fit(Span span, ref Seq<string> adjusted)
    {
        var name = FitName(span.Name, "span name", ref adjusted);
        var model = FitShort(span.Model, "model", ref adjusted);
        var cost = span.Cost is { AllFinite: false } c ? new Cost(c.Components.Filter(double.IsFinite)) : span.Cost;
        return ReferenceEquals(name, span.Name) && !model.Changed && ReferenceEquals(cost, span.Cost)
            ? span
            : span with { Name = name, Model = model.Value, Cost = cost };
    }

    static string FitName(string name, string field, ref Seq<string> adjusted)
    {
        var fitted = Limits.Name(name);
        if (string.Equals(fitted, name, StringComparison.Ordinal)) return name;
        adjusted = adjusted.Add(string.IsNullOrWhiteSpace(name)
            ? $"{field}: empty, replaced by '{Limits.UnnamedName}'"
            : $"{field}: truncated from {name.Length} to {Limits.MaxNameLength} characters");
        return fitted;
    }

    static (string? Value, bool Changed) FitShort(string? value, string field, ref Seq<string> adjusted)
    {
        if (value is not { } text || text.Length <= Limits.MaxShortTextLength) return (value, false);
        adjusted = adjusted.Add($"{field}: truncated from {text.Length} to {Limits.MaxShortTextLength} characters");
        return (Limits.ShortText(text), true);
    }
}
