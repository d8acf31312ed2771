namespace PandaProbe.Properties.Checks;

/// <summary>
/// The entry point for the reusable checks: run a script through a reducer and collect every violation of
/// <see cref="StateInvariants"/> and <see cref="OutputLedger"/> after every prefix.
/// </summary>
internal static class Invariants
{
    /// <summary>The first violations (at most <paramref name="limit"/>) met while folding <paramref name="script"/>.</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<TraceEvent> script, Reducer? apply = null, int limit = 5)
    {
        var ledger = new OutputLedger();
        var found = new List<string>();
        var index = 0;
        foreach (var (before, e, step) in (apply ?? Folding.Real).Steps(script))
        {
            foreach (var v in ledger.Observe(before, e, step).Concat(StateInvariants.Violations(step.State)))
                found.Add($"after event #{index} ({Describe(e)}): {v}");
            if (found.Count >= limit) break;
            index++;
        }
        return found;
    }

    /// <summary>A property that holds when folding <paramref name="script"/> violates nothing.</summary>
    public static Property Hold(IReadOnlyList<TraceEvent> script, Reducer? apply = null)
    {
        var violations = Violations(script, apply);
        return (violations.Count == 0).Label(violations.Count == 0 ? "ok" : string.Join("\n", violations) + "\nscript:\n" + Describe(script));
    }

    /// <summary>A one-line description of an event (type, trace, span) for failure messages.</summary>
    public static string Describe(TraceEvent? e) => e switch
    {
        null => "null",
        TraceEvent.SpanStarted s => $"SpanStarted {Short(s.Trace)}/{Short(s.Span)} parent={(s.Parent is { } p ? Short(p) : "-")}",
        _ => $"{e.GetType().Name} {Short(e.Trace)}{(e.Target is { } t ? "/" + Short(t) : "")}",
    };

    /// <summary>A whole script, one event per line.</summary>
    public static string Describe(IEnumerable<TraceEvent> script) =>
        string.Join("\n", script.Select((e, i) => $"  #{i} {Describe(e)}"));

    static string Short(TraceId id) => "t" + id.Value.ToString("N")[..8];

    static string Short(SpanId id) => "s" + id.Value.ToString("N")[..12];
}
