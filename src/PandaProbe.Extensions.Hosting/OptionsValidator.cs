using Microsoft.Extensions.Options;

namespace PandaProbe.Extensions.Hosting;

/// <summary>The configuration path the options were read from (the last <c>AddPandaProbe</c> with a section wins).</summary>
internal sealed record ConfigurationSectionPath(string Path);

/// <summary>
/// Validates <see cref="PandaProbeOptions"/> as building the client would (run at host start by <c>ValidateOnStart</c>),
/// naming each problem by its configuration key (<c>PandaProbe:BatchSize</c>) and, where the SDK reads one, its
/// environment variable (<c>PANDAPROBE_BATCH_SIZE</c>).
/// </summary>
internal sealed class OptionsValidator(IEnumerable<ConfigurationSectionPath> paths) : IValidateOptions<PandaProbeOptions>
{
    readonly string? section = paths.LastOrDefault()?.Path is { Length: > 0 } path ? path : null;

    public ValidateOptionsResult Validate(string? name, PandaProbeOptions options)
    {
        var problems = options.Validate();
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(Keyed));
    }

    /// <summary>The problem with its leading option name written as a configuration key of the section.</summary>
    string Keyed(string problem)
    {
        var end = problem.IndexOfAny([' ', ':']);
        if (end <= 0) return problem;
        var option = problem[..end];
        var key = option == "SampleRate" ? "Sampling:Ratio" : option.Replace('.', ':');
        return (section is null ? key : section + ":" + key) + problem[end..];
    }
}
