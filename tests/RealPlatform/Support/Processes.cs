using System.Diagnostics;

namespace PandaProbe.RealPlatform.Support;

/// <summary>What a finished script printed, and how long it took.</summary>
public sealed record ScriptOutcome(int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed);

/// <summary>Runs the harness's bash scripts, each bounded by a timeout.</summary>
public static class Processes
{
    /// <summary>
    /// Runs <c>bash script args...</c> in <paramref name="workingDirectory"/>; past <paramref name="timeout"/> the
    /// script and its children are killed and a <see cref="TimeoutException"/> says what it had printed.
    /// </summary>
    public static async Task<ScriptOutcome> BashAsync(string workingDirectory, TimeSpan timeout, string script, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start bash {script}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* it just exited */ }
            var (o, e) = await DrainAsync(stdout, stderr);
            throw new TimeoutException(
                $"`bash {script} {string.Join(' ', args)}` did not finish within {timeout.TotalMinutes:0.#} min and was killed.\nstdout:\n{o}\nstderr:\n{Tail(e)}");
        }
        var (output, error) = await DrainAsync(stdout, stderr);
        return new ScriptOutcome(process.ExitCode, output, error, clock.Elapsed);
    }

    /// <summary>The last lines of a long text (script logs can be long).</summary>
    public static string Tail(string text, int lines = 40)
    {
        var all = text.Split('\n');
        return all.Length <= lines ? text : "...\n" + string.Join('\n', all[^lines..]);
    }

    static async Task<(string, string)> DrainAsync(Task<string> stdout, Task<string> stderr)
    {
        // The daemons start.sh leaves running write to files, not to these pipes; still, never wait on the pipes long.
        try { await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { }
        return (stdout.IsCompletedSuccessfully ? stdout.Result : "(not read)", stderr.IsCompletedSuccessfully ? stderr.Result : "(not read)");
    }
}
