using System.Diagnostics;
using System.Text;

namespace PandaProbe.Unit.Packaging;

/// <summary>What a <c>dotnet</c> command did: its exit code and its output (standard output and error, interleaved).</summary>
public sealed record CliResult(string Command, int ExitCode, bool TimedOut, string Output, string StandardError, TimeSpan Elapsed)
{
    /// <summary>The command, how it ended and everything it printed, for an assertion message.</summary>
    public string Describe() =>
        $"`{Command}` {(TimedOut ? "timed out and was killed" : $"exited with {ExitCode}")} after {Elapsed.TotalSeconds:F0} s; output:\n{Output}";
}

/// <summary>
/// Runs the .NET CLI as a child process the way a developer would, but hermetically: no PANDAPROBE_* variable, no
/// MSBuild variables inherited from the test host's own build, English messages, no build servers or reused nodes
/// left behind (a lingering server would hold the test run's output open). On timeout the whole process tree is
/// killed and the result says so.
/// </summary>
public static class DotnetCli
{
    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.ToList())
            if (key.StartsWith("PANDAPROBE_", StringComparison.Ordinal) || key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;

        var command = "dotnet " + string.Join(' ', arguments);
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            lock (errors) errors.AppendLine(e.Data);
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timedOut = false;
        using (var deadline = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try { await process.WaitForExitAsync(grace.Token); } catch (OperationCanceledException) { }
            }
        }
        string text, stderr;
        lock (output) text = output.ToString();
        lock (errors) stderr = errors.ToString();
        return new CliResult(command, process.HasExited ? process.ExitCode : -1, timedOut, text, stderr, clock.Elapsed);
    }
}
