using System.Collections;
using PandaProbe.Model.Settings;

namespace PandaProbe.Settings;

/// <summary>
/// The only place that reads the process environment for PandaProbe: takes a snapshot of the <c>PANDAPROBE_*</c>
/// variables and resolves them with explicit values into validated <see cref="SdkSettings"/>.
/// </summary>
internal static class EnvironmentSettings
{
    /// <summary>The <c>PANDAPROBE_*</c> variables of <paramref name="environment"/> (default: the process environment).</summary>
    /// <param name="environment">A variable map to read instead of the process environment (tests).</param>
    public static IReadOnlyDictionary<string, string> Read(IDictionary? environment = null)
    {
        var source = environment ?? System.Environment.GetEnvironmentVariables();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in source)
        {
            if (entry.Key is string key && key.StartsWith(SettingNames.Prefix, StringComparison.Ordinal) && entry.Value is string value)
                result[key] = value;
        }
        return result;
    }

    /// <summary>Every problem <see cref="Resolve"/> would report, without throwing (empty when the settings are valid).</summary>
    /// <param name="explicitValues">Values given in code.</param>
    /// <param name="environment">A variable map to read instead of the process environment (tests).</param>
    public static IReadOnlyList<string> Problems(SettingsOverrides? explicitValues = null, IDictionary? environment = null) =>
        SdkSettings.Validate(explicitValues, Read(environment)).Match(
            Succ: _ => (IReadOnlyList<string>)[],
            Fail: errors => errors.ToList());

    /// <summary>
    /// Resolves the settings (explicit &gt; environment &gt; default). Invalid configuration throws here, at
    /// initialisation, never later on a background thread.
    /// </summary>
    /// <param name="explicitValues">Values given in code.</param>
    /// <param name="environment">A variable map to read instead of the process environment (tests).</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message lists every problem and the parameter
    /// name is the first offending option.</exception>
    public static SdkSettings Resolve(SettingsOverrides? explicitValues = null, IDictionary? environment = null) =>
        SdkSettings.Validate(explicitValues, Read(environment)).Match(
            Succ: settings => settings,
            Fail: errors =>
            {
                var list = errors.ToList();
                var first = list[0];
                var cut = first.IndexOfAny([' ', ':']);
                throw new ArgumentException(
                    "Invalid PandaProbe configuration: " + string.Join(" ", list),
                    cut > 0 ? first[..cut] : "settings");
            });
}
