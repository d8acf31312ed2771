namespace PandaProbe.Cli;

/// <summary>Where a command writes: its output, its diagnostics, and whether output is plain text (redirected or asked for).</summary>
/// <param name="Out">The command's output.</param>
/// <param name="Error">Diagnostics (bad lines, failures).</param>
/// <param name="Plain"><c>true</c> for plain text without colours or live widgets (output redirected, or <c>NO_COLOR</c>).</param>
internal sealed record CliIO(TextWriter Out, TextWriter Error, bool Plain)
{
    /// <summary>The process's console, plain when standard output is redirected or <c>NO_COLOR</c> is set.</summary>
    public static CliIO FromConsole() =>
        new(Console.Out, Console.Error, Console.IsOutputRedirected || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")));
}
