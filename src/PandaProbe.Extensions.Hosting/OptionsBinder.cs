using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// Reads <see cref="PandaProbeOptions"/> from a configuration section (for example <c>"PandaProbe"</c> in
/// <c>appsettings.json</c>). Every key is a known setting with a parser of its own, so a misspelt key or a value that
/// does not parse is an <see cref="ArgumentException"/> naming its configuration path, not a setting silently ignored;
/// a key with an empty value counts as not set. Time spans are either a number of seconds (<c>5</c>, <c>0.5</c>) or a
/// .NET time span (<c>00:00:05</c>); numbers use the invariant culture.
/// </summary>
internal static class OptionsBinder
{
    delegate void Setter<in T>(T target, IConfigurationSection value);

    static readonly IReadOnlyDictionary<string, Setter<PandaProbeOptions>> TopLevel =
        new Dictionary<string, Setter<PandaProbeOptions>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Enabled"] = (o, s) => o.Enabled = Bool(s),
            ["ApiKey"] = (o, s) => o.ApiKey = s.Value,
            ["ProjectName"] = (o, s) => o.ProjectName = s.Value,
            ["Endpoint"] = (o, s) => o.Endpoint = s.Value,
            ["Environment"] = (o, s) => o.Environment = s.Value,
            ["Release"] = (o, s) => o.Release = s.Value,
            ["BatchSize"] = (o, s) => o.BatchSize = Int(s),
            ["FlushInterval"] = (o, s) => o.FlushInterval = Span(s),
            ["MaxQueueSize"] = (o, s) => o.MaxQueueSize = Int(s),
            ["Debug"] = (o, s) => o.Debug = Bool(s),
            ["LocalFilePath"] = (o, s) => o.LocalFilePath = s.Value,
            ["RegisterProcessExitHandler"] = (o, s) => o.RegisterProcessExitHandler = Bool(s),
            ["ShutdownTimeout"] = (o, s) => o.ShutdownTimeout = Span(s),
            ["RequestTimeout"] = (o, s) => o.RequestTimeout = Span(s),
            ["ConnectTimeout"] = (o, s) => o.ConnectTimeout = Span(s),
            ["MaxRetries"] = (o, s) => o.MaxRetries = Int(s),
            ["InitialBackoff"] = (o, s) => o.InitialBackoff = Span(s),
            ["MaxBackoff"] = (o, s) => o.MaxBackoff = Span(s),
            ["RetryAfterCap"] = (o, s) => o.RetryAfterCap = Span(s),
            ["MaxConcurrentRequests"] = (o, s) => o.MaxConcurrentRequests = Int(s),
            ["ComputeCosts"] = (o, s) => o.ComputeCosts = Bool(s),
            ["CompletedTraceRetention"] = (o, s) => o.CompletedTraceRetention = Int(s),
            ["ContentMode"] = (o, s) => o.ContentMode = Mode(s),
            ["FlushOnDispose"] = (o, s) => o.FlushOnDispose = Bool(s),
            ["LiveMode"] = (o, s) => o.LiveMode = Bool(s),
            ["FlushOnDisposeTimeout"] = (o, s) => o.FlushOnDisposeTimeout = Span(s),
            ["AbandonedTraceTimeout"] = (o, s) => o.AbandonedTraceTimeout = Span(s),
            ["CaptureActivityContext"] = (o, s) => o.CaptureActivityContext = Bool(s),
            ["MaxValueChars"] = (o, s) => o.MaxValueChars = Int(s),
            ["MaxSpanChars"] = (o, s) => o.MaxSpanChars = Int(s),
            ["MaxTraceChars"] = (o, s) => o.MaxTraceChars = Int(s),
        };

    static readonly IReadOnlyDictionary<string, Setter<SpoolOptions>> SpoolKeys =
        new Dictionary<string, Setter<SpoolOptions>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Enabled"] = (o, s) => o.Enabled = Bool(s),
            ["Directory"] = (o, s) => o.Directory = s.Value,
            ["MaxBytes"] = (o, s) => o.MaxBytes = Long(s),
            ["MaxAge"] = (o, s) => o.MaxAge = Span(s),
            ["WriteAhead"] = (o, s) => o.WriteAhead = Bool(s),
            ["FlushToDisk"] = (o, s) => o.FlushToDisk = Bool(s),
        };

    static readonly IReadOnlyDictionary<string, Setter<SamplingOptions>> SamplingKeys =
        new Dictionary<string, Setter<SamplingOptions>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ratio"] = (o, s) => o.Ratio = Number(s),
            ["KeepErrors"] = (o, s) => o.KeepErrors = Bool(s),
            ["FitPlatformRate"] = (o, s) => o.FitPlatformRate = Bool(s),
            ["KeepSlowerThan"] = (o, s) => o.KeepSlowerThan = Span(s),
            ["KeepCostlierThan"] = (o, s) => o.KeepCostlierThan = Number(s),
        };

    static readonly IReadOnlyDictionary<string, Setter<RedactionOptions>> RedactionKeys =
        new Dictionary<string, Setter<RedactionOptions>>(StringComparer.OrdinalIgnoreCase)
        {
            ["KeyNames"] = (o, s) => { foreach (var name in List(s)) o.KeyNames.Add(name); },
            ["MaskEmails"] = (o, s) => o.MaskEmails = Bool(s),
            ["MaskSecrets"] = (o, s) => o.MaskSecrets = Bool(s),
            ["MaskCardNumbers"] = (o, s) => o.MaskCardNumbers = Bool(s),
            ["MaskApiKeys"] = (o, s) => o.MaskApiKeys = Bool(s),
            ["Patterns"] = (o, s) => { foreach (var pattern in List(s)) o.Patterns.Add(Pattern(pattern)); },
        };

    /// <summary>The longest a configured pattern may run on one text before the value is redacted whole.</summary>
    static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Applies every key of <paramref name="configuration"/> to <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">A key is not a setting, or a value does not parse (all such keys are named).</exception>
    public static void Bind(IConfiguration configuration, PandaProbeOptions options)
    {
        var errors = new List<string>();
        foreach (var child in configuration.GetChildren())
        {
            if (child.Key.Equals("Sampling", StringComparison.OrdinalIgnoreCase)) Apply(child, options.Sampling, SamplingKeys, errors);
            else if (child.Key.Equals("Redaction", StringComparison.OrdinalIgnoreCase)) Apply(child, options.Redaction, RedactionKeys, errors);
            else if (child.Key.Equals("Spool", StringComparison.OrdinalIgnoreCase)) Apply(child, options.Spool, SpoolKeys, errors);
            else Set(child, options, TopLevel, errors);
        }
        if (errors.Count > 0)
            throw new ArgumentException(
                "Invalid PandaProbe configuration: " + string.Join(" ", errors), nameof(configuration));
    }

    static void Apply<T>(IConfigurationSection section, T target, IReadOnlyDictionary<string, Setter<T>> keys, List<string> errors)
    {
        if (section.Value is { Length: > 0 })
            errors.Add($"{section.Path}: expected a section of settings, found the value '{section.Value}'.");
        foreach (var child in section.GetChildren()) Set(child, target, keys, errors);
    }

    static void Set<T>(IConfigurationSection value, T target, IReadOnlyDictionary<string, Setter<T>> keys, List<string> errors)
    {
        if (!keys.TryGetValue(value.Key, out var set))
        {
            errors.Add($"{value.Path}: not a PandaProbe setting (known here: {string.Join(", ", keys.Keys)}).");
            return;
        }
        if (string.IsNullOrWhiteSpace(value.Value) && !value.GetChildren().Any()) return;   // empty: not set
        try { set(target, value); }
        catch (FormatException e) { errors.Add($"{value.Path}: {e.Message}"); }
    }

    static string Text(IConfigurationSection s) =>
        s.Value is { } text && !string.IsNullOrWhiteSpace(text)
            ? text.Trim()
            : throw new FormatException("expected a single value, found a section.");

    static bool Bool(IConfigurationSection s) =>
        bool.TryParse(Text(s), out var value) ? value : throw new FormatException($"'{s.Value}' is not true or false.");

    static int Int(IConfigurationSection s) =>
        int.TryParse(Text(s), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{s.Value}' is not a whole number.");

    static long Long(IConfigurationSection s) =>
        long.TryParse(Text(s), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{s.Value}' is not a whole number.");

    static double Number(IConfigurationSection s) =>
        double.TryParse(Text(s), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{s.Value}' is not a number.");

    static TimeSpan Span(IConfigurationSection s)
    {
        var text = Text(s);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return double.IsFinite(seconds) && Math.Abs(seconds) <= TimeSpan.MaxValue.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw new FormatException($"'{text}' seconds is out of range.");
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new FormatException($"'{text}' is neither a number of seconds nor a time span such as 00:00:05.");
    }

    static ContentMode Mode(IConfigurationSection s) =>
        Text(s).ToLowerInvariant() switch
        {
            "full" => ContentMode.Full,
            "redacted" => ContentMode.Redacted,
            "metadataonly" or "metadata_only" => ContentMode.MetadataOnly,
            _ => throw new FormatException($"'{s.Value}' is not one of Full, Redacted, MetadataOnly."),
        };

    /// <summary>An array (<c>["a", "b"]</c> in JSON, <c>Key:0</c>, <c>Key:1</c> elsewhere) or one comma-separated value.</summary>
    static IEnumerable<string> List(IConfigurationSection s)
    {
        var items = s.GetChildren().Any()
            ? s.GetChildren().Select(c => c.Value ?? throw new FormatException($"{c.Path} is a section, not a value."))
            : (s.Value ?? "").Split(',');
        return items.Select(i => i.Trim()).Where(i => i.Length > 0).ToList();
    }

    static Regex Pattern(string pattern)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout); }
        catch (ArgumentException e) { throw new FormatException($"'{pattern}' is not a regular expression ({e.Message})."); }
    }
}
