namespace PandaProbe.Properties.Checks;

/// <summary>Builds one labelled property from several named checks, so a failure says which check broke and why.</summary>
internal static class Claim
{
    /// <summary>Holds when every check holds; the label lists the failed checks and then <paramref name="context"/>.</summary>
    public static Property All(IEnumerable<(bool Ok, string Label)> checks, Func<string>? context = null)
    {
        var failed = checks.Where(c => !c.Ok).Select(c => c.Label).Take(10).ToList();
        return (failed.Count == 0).Label(failed.Count == 0 ? "ok" : string.Join("\n", failed) + (context is null ? "" : "\n" + context()));
    }
}
