namespace PandaProbe.Properties.Generators;

/// <summary>Plan-driven values for event fields, chosen to hit the interesting cases (empty, at and over limits).</summary>
internal static class Values
{
    /// <summary>The first instant of every generated clock.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Keys of metadata, parameters and model parameters: a small pool so that merges overwrite.</summary>
    public static readonly string[] Keys = ["k0", "k1", "k2", "k3"];

    /// <summary>A name: empty, blank, short, or around and above <see cref="Limits.MaxNameLength"/>.</summary>
    public static string? Name(PlanReader r)
    {
        var c = (char)('a' + r.Next(26));
        return r.Next(12) switch
        {
            0 => "",
            1 => "   ",
            2 => null,
            3 => c.ToString(),
            4 => new string(c, Limits.MaxNameLength - 1),
            5 => new string(c, Limits.MaxNameLength),
            6 => new string(c, Limits.MaxNameLength + 1),
            7 => new string(c, 1000),
            8 => $"näme-{c}-ü",
            _ => $"step-{c}",
        };
    }

    /// <summary>A short text (model, session, …): null, empty, short, or around <see cref="Limits.MaxShortTextLength"/>.</summary>
    public static string? ShortText(PlanReader r)
    {
        var c = (char)('a' + r.Next(26));
        return r.Next(8) switch
        {
            0 => null,
            1 => "",
            2 => new string(c, Limits.MaxShortTextLength),
            3 => new string(c, Limits.MaxShortTextLength + 1),
            4 => new string(c, 700),
            _ => $"model-{c}",
        };
    }

    /// <summary>A non-null short text.</summary>
    public static string Model(PlanReader r) => ShortText(r) ?? "model-x";

    /// <summary>A payload: text, JSON number, JSON object or JSON null.</summary>
    public static Payload Payload(PlanReader r)
    {
        var n = r.Next();
        return (n % 4) switch
        {
            0 => PandaProbe.Model.Payload.Text($"text-{n}"),
            1 => PandaProbe.Model.Payload.Json(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            2 => PandaProbe.Model.Payload.Json($"{{\"n\":{n}}}"),
            _ => PandaProbe.Model.Payload.Null,
        };
    }

    /// <summary>A map of zero to three entries over <see cref="Keys"/>.</summary>
    public static Map<string, Payload> Entries(PlanReader r)
    {
        var map = Map<string, Payload>();
        var count = r.Next(4);
        for (var i = 0; i < count; i++) map = map.AddOrUpdate(Keys[r.Next(Keys.Length)], Payload(r));
        return map;
    }

    /// <summary>Token usage with both base counts and sometimes an extra count.</summary>
    public static TokenUsage Tokens(PlanReader r)
    {
        var prompt = r.Next();
        var completion = r.Next();
        var extra = r.Next(3) == 0 ? new[] { ("reasoning_tokens", (long)r.Next()) } : null;
        return TokenUsage.Of(prompt, completion, extra);
    }

    /// <summary>A cost with a total and sometimes an input component.</summary>
    public static Cost Cost(PlanReader r)
    {
        var total = r.Next() / 1000d;
        var extra = r.Next(2) == 0 ? new[] { ("input", r.Next() / 1000d) } : null;
        return PandaProbe.Model.Cost.Of(total, extra);
    }

    /// <summary>An error with a message numbered by the plan.</summary>
    public static ErrorInfo Error(PlanReader r) =>
        r.Next(3) == 0 ? ErrorInfo.From(new InvalidOperationException($"boom-{r.Next()}")) : ErrorInfo.Of($"error-{r.Next()}");

    /// <summary>A span kind.</summary>
    public static SpanType Kind(PlanReader r) => (SpanType)r.Next(7);
}
