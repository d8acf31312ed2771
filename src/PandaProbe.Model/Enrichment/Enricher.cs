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
/// the platform's limits (<see cref="Limits"/>), recorded values to the <see cref="Budgets"/>, and non-finite cost
/// components are left out. Each repair is reported, one adjustment per field repaired.
/// </summary>
/// <param name="Prices">The catalogue that prices spans without a cost; <c>null</c> prices nothing.</param>
/// <param name="Environment">Stamped on traces that have no environment of their own.</param>
/// <param name="Release">Stamped on traces that have no release of their own.</param>
internal sealed record Enricher(PriceCatalog? Prices, string? Environment, string? Release)
{
    /// <summary>Fits values to the limits and nothing else.</summary>
    public static Enricher LimitsOnly { get; } = new(null, null, null);

    /// <summary>
    /// How many characters of the recorded values are kept, per value, per span and per trace; a value over its budget
    /// is cut (keeping its JSON shape, <see cref="PayloadCut"/>) and each cut is reported. Default:
    /// <see cref="PayloadBudgets.Default"/>.
    /// </summary>
    public PayloadBudgets Budgets { get; init; } = PayloadBudgets.Default;

    /// <summary>A completed trace (and each of its spans) enriched.</summary>
    public Enriched<TraceRecord> Trace(TraceRecord trace)
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
        var budgets = Budgets;
        return new Enriched<TraceRecord>(WithinBudgets(result, budgets) ? result : CutToBudgets(result, budgets, ref adjusted), adjusted);
    }

    /// <summary>One span (a late span, or a span a processor sees) enriched, its values fitted to the value and span budgets.</summary>
    public Enriched<Span> Span(Span span)
    {
        var adjusted = default(Seq<string>);
        var fitted = Fit(CostCalculator.Apply(Prices, span), ref adjusted);
        var b = Budgets;
        if (!WithinBudgets(fitted, b))
        {
            var ((inputCap, inputBound), (outputCap, outputBound)) = SpanCaps(fitted, b);
            fitted = fitted with
            {
                Input = Fit(fitted.Input, inputCap, inputBound, LateSpan, "input", b, ref adjusted),
                Output = Fit(fitted.Output, outputCap, outputBound, LateSpan, "output", b, ref adjusted),
                Metadata = Fit(fitted.Metadata, LateSpan, b, ref adjusted).Values,
            };
        }
        return new Enriched<Span>(fitted, adjusted);
    }

    // ---- budgets ----

    const int OfTrace = -1;    // the field belongs to the trace itself
    const int LateSpan = -2;   // the field belongs to a span enriched on its own

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static int Len(Payload? p) => p is null ? 0 : p.Length;

    /// <summary>The length of the longest value of a map (a fold: no enumerator is allocated).</summary>
    static int Longest(Map<string, Payload> values) =>
        values.IsEmpty ? 0 : values.Fold(0, static (longest, p) => Math.Max(longest, p is null ? 0 : p.Length));

    static bool WithinBudgets(TraceRecord trace, PayloadBudgets b)
    {
        int value = b.MaxValueChars, perSpan = b.MaxSpanChars;
        int input = Len(trace.Input), output = Len(trace.Output);
        if (input > value || output > value || Longest(trace.Metadata) > value) return false;
        var total = (long)input + output;
        var spans = trace.Spans;
        for (var i = 0; i < spans.Count; i++)   // by index: no enumerator per trace
        {
            var span = spans[i];
            input = Len(span.Input);
            output = Len(span.Output);
            var both = (long)input + output;
            if (input > value || output > value || both > perSpan || Longest(span.Metadata) > value) return false;
            total += both;
        }
        return total <= b.MaxTraceChars;
    }

    static bool WithinBudgets(Span span, PayloadBudgets b)
    {
        int input = Len(span.Input), output = Len(span.Output);
        return input <= b.MaxValueChars && output <= b.MaxValueChars && (long)input + output <= b.MaxSpanChars
               && Longest(span.Metadata) <= b.MaxValueChars;
    }

    /// <summary>Why a value was cut to its cap: the budget that set it.</summary>
    enum Bound : byte { Value, Span, Trace }

    /// <summary>
    /// Cuts the values over their budgets (<see cref="PayloadCut.Cut"/>: a JSON value keeps its shape), each once, to
    /// the smallest of its caps, and reports each cut as one adjustment:
    /// <list type="bullet">
    /// <item>every input, output and metadata value to <see cref="PayloadBudgets.MaxValueChars"/>;</item>
    /// <item>a span's input and output over <see cref="PayloadBudgets.MaxSpanChars"/> together to their shares: half
    /// each, or what the smaller one leaves to the other;</item>
    /// <item>the inputs and outputs of the trace and its spans over <see cref="PayloadBudgets.MaxTraceChars"/> together
    /// to one share, the largest with which they fit (values smaller than it keep what they have), never below
    /// <see cref="PayloadBudgets.MinChars"/>.</item>
    /// </list>
    /// </summary>
    static TraceRecord CutToBudgets(TraceRecord trace, PayloadBudgets b, ref Seq<string> adjusted)
    {
        var spans = trace.Spans;
        var count = 2 * (spans.Count + 1);   // [0], [1]: the trace's input and output; [2 + 2i], [3 + 2i]: span i's
        var caps = new int[count];
        var bounds = new Bound[count];
        var kept = new long[count];
        caps[0] = caps[1] = b.MaxValueChars;
        kept[0] = Math.Min(Len(trace.Input), b.MaxValueChars);
        kept[1] = Math.Min(Len(trace.Output), b.MaxValueChars);
        for (var i = 0; i < spans.Count; i++)
        {
            ((caps[2 + 2 * i], bounds[2 + 2 * i]), (caps[3 + 2 * i], bounds[3 + 2 * i])) = SpanCaps(spans[i], b);
            kept[2 + 2 * i] = Math.Min(Len(spans[i].Input), caps[2 + 2 * i]);
            kept[3 + 2 * i] = Math.Min(Len(spans[i].Output), caps[3 + 2 * i]);
        }
        if (kept.Sum() > b.MaxTraceChars)
        {
            var share = (int)Math.Min(int.MaxValue, Math.Max(PayloadBudgets.MinChars, Level(kept, b.MaxTraceChars)));
            for (var k = 0; k < count; k++)
                if (kept[k] > share) (caps[k], bounds[k]) = (share, Bound.Trace);
        }

        var result = trace with
        {
            Input = Fit(trace.Input, caps[0], bounds[0], OfTrace, "input", b, ref adjusted),
            Output = Fit(trace.Output, caps[1], bounds[1], OfTrace, "output", b, ref adjusted),
            Metadata = Fit(trace.Metadata, OfTrace, b, ref adjusted).Values,
        };
        Span[]? changed = null;
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i];
            var input = Fit(span.Input, caps[2 + 2 * i], bounds[2 + 2 * i], i, "input", b, ref adjusted);
            var output = Fit(span.Output, caps[3 + 2 * i], bounds[3 + 2 * i], i, "output", b, ref adjusted);
            var metadata = Fit(span.Metadata, i, b, ref adjusted);
            if (ReferenceEquals(input, span.Input) && ReferenceEquals(output, span.Output) && !metadata.Cut) continue;
            changed ??= [.. spans];
            changed[i] = span with { Input = input, Output = output, Metadata = metadata.Values };
        }
        return changed is null ? result : result with { Spans = Seq(changed).Strict() };
    }

    /// <summary>A span's input and output caps: the value budget, or their shares of the span budget when over it.</summary>
    static ((int Cap, Bound Bound) Input, (int Cap, Bound Bound) Output) SpanCaps(Span span, PayloadBudgets b)
    {
        var v = b.MaxValueChars;
        int input = Math.Min(Len(span.Input), v), output = Math.Min(Len(span.Output), v);
        if ((long)input + output <= b.MaxSpanChars) return ((v, Bound.Value), (v, Bound.Value));
        var half = b.MaxSpanChars / 2;
        if (input <= half) return ((v, Bound.Value), (b.MaxSpanChars - input, Bound.Span));
        if (output <= half) return ((b.MaxSpanChars - output, Bound.Span), (v, Bound.Value));
        return ((half, Bound.Span), (b.MaxSpanChars - half, Bound.Span));
    }

    /// <summary>The largest share such that the sizes, each cut to it, add up to at most <paramref name="budget"/>.</summary>
    static long Level(long[] sizes, long budget)
    {
        var sorted = (long[])sizes.Clone();
        System.Array.Sort(sorted);
        var left = budget;
        for (var k = 0; k < sorted.Length; k++)
        {
            var level = left / (sorted.Length - k);
            if (sorted[k] > level) return level;
            left -= sorted[k];
        }
        return long.MaxValue;
    }

    /// <summary>The value cut to its cap (the cut reported as one adjustment), or the same value when it fits.</summary>
    static Payload? Fit(Payload? value, int cap, Bound bound, int span, string field, PayloadBudgets b, ref Seq<string> adjusted)
    {
        if (value is null || value.Length <= cap) return value;
        var cut = PayloadCut.Cut(value, cap);
        var budget = bound switch
        {
            Bound.Span => FormattableString.Invariant($"span budget {b.MaxSpanChars:N0}"),
            Bound.Trace => FormattableString.Invariant($"trace budget {b.MaxTraceChars:N0}"),
            _ => FormattableString.Invariant($"value budget {b.MaxValueChars:N0}"),
        };
        adjusted = adjusted.Add(FormattableString.Invariant(
            $"{Field(span, field)}: {value.Length:N0} characters cut to {cut.Length:N0} ({budget})"));
        return cut;
    }

    /// <summary>The metadata with every value over the value budget cut (each cut reported); the same map when all fit.</summary>
    static (Map<string, Payload> Values, bool Cut) Fit(Map<string, Payload> metadata, int span, PayloadBudgets b, ref Seq<string> adjusted)
    {
        if (Longest(metadata) <= b.MaxValueChars) return (metadata, false);
        var result = metadata;
        foreach (var (key, value) in metadata)
        {
            var cut = Fit(value, b.MaxValueChars, Bound.Value, span, "metadata." + key, b, ref adjusted);
            if (!ReferenceEquals(cut, value)) result = result.SetItem(key, cut!);
        }
        return (result, true);
    }

    static string Field(int span, string field) => span switch
    {
        OfTrace => field,
        LateSpan => "span." + field,
        _ => FormattableString.Invariant($"spans[{span}].{field}"),
    };

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
                return ReferenceEquals(opened.Value, s.Span) ? new(output, default) : new(new Output.SpanStarted(opened.Value) { LateChild = s.LateChild }, opened.Adjustments);
            default:
                return new(output, default);
        }
    }

    TraceRecord Stamp(TraceRecord trace) =>
        trace.Environment is not null && trace.Release is not null || Environment is null && Release is null
            ? trace
            : trace with
            {
                Environment = trace.Environment ?? Environment,
                Release = trace.Release ?? Release,
            };

    static TraceRecord Fit(TraceRecord trace, ref Seq<string> adjusted)
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
