using System.Text.RegularExpressions;

namespace PandaProbe.Model.Pricing;

/// <summary>
/// Pure helpers that reduce a model name as providers and gateways report it to the family name a price list uses.
/// </summary>
internal static class ModelNames
{
    // "openai/gpt-4o", "models/gemini-1.5-pro": a provider or path prefix ends at the last slash.
    // "anthropic.claude-…", "us.anthropic.claude-…": Bedrock's (region and) vendor prefix.
    static readonly Regex VendorPrefix = new(
        @"^(?:(?:us|eu|apac|global)\.)?(?:anthropic|mistral|meta|amazon|cohere|ai21|openai)\.",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    // One trailing release marker: a date (-2024-08-06, -20241022), a short snapshot number (-0613, -001, -2411),
    // a month-day pair (-05-06), -latest, -preview, a -v2 or -v2:0 revision, a :0 tag, or an @… Vertex version.
    static readonly Regex ReleaseSuffix = new(
        @"(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|\d{2}-\d{2}|latest|preview|v\d+(?::\d+)?)|:\d+|@[\w.:-]+)$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>
    /// The name without a provider or path prefix (<c>openai/</c>, <c>models/</c>, Bedrock's <c>anthropic.</c>)
    /// and without trailing release markers (dates, snapshot numbers, <c>-latest</c>, <c>-preview</c>, <c>-v2:0</c>,
    /// <c>@20241022</c>); case is kept. <c>"claude-3-5-sonnet-20241022"</c> becomes <c>"claude-3-5-sonnet"</c>.
    /// </summary>
    /// <param name="model">A model name as reported; <c>null</c> gives the empty string.</param>
    public static string Family(string? model)
    {
        var name = WithoutPrefix(model);
        while (true)
        {
            var m = ReleaseSuffix.Match(name);
            if (!m.Success || m.Index == 0) return name;
            name = name[..m.Index];
        }
    }

    /// <summary>
    /// The lower-case names to try, in order: the name itself, the name without its prefix, then the name with one
    /// more trailing release marker stripped at each step. Never empty for a non-blank name.
    /// </summary>
    /// <param name="model">A model name as reported.</param>
    public static IReadOnlyList<string> Candidates(string? model)
    {
        var result = new List<string>();
        if (string.IsNullOrWhiteSpace(model)) return result;
        void Add(string s) { if (s.Length > 0 && !result.Contains(s)) result.Add(s); }
        Add(model.Trim().ToLowerInvariant());
        var name = WithoutPrefix(model).ToLowerInvariant();
        Add(name);
        while (true)
        {
            var m = ReleaseSuffix.Match(name);
            if (!m.Success || m.Index == 0) return result;
            name = name[..m.Index];
            Add(name);
        }
    }

    static string WithoutPrefix(string? model)
    {
        var name = (model ?? string.Empty).Trim();
        var slash = name.LastIndexOf('/');
        if (slash >= 0 && slash < name.Length - 1) name = name[(slash + 1)..];
        var vendor = VendorPrefix.Match(name);
        return vendor.Success && vendor.Length < name.Length ? name[vendor.Length..] : name;
    }
}
