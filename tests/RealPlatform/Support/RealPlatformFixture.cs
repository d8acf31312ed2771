using System.Text.RegularExpressions;
using Xunit;

namespace PandaProbe.RealPlatform.Support;

/// <summary>The running platform: where to send, with which key, and how to read what it stored.</summary>
/// <param name="Endpoint">The API's base address (<c>http://127.0.0.1:PORT</c>).</param>
/// <param name="ApiKey">The organization's API key start.sh created.</param>
/// <param name="Project">The project start.sh created (tests use their own names).</param>
/// <param name="Folder">The harness folder (psql.sh, stop.sh).</param>
/// <param name="StateFolder">The harness's state folder (<c>$PP_STATE</c>: env, app.log, worker.log).</param>
public sealed record PlatformStack(string Endpoint, string ApiKey, string Project, string Folder, string StateFolder)
{
    /// <summary>Runs one SQL statement through psql.sh (tuples only, unaligned: columns split by <c>|</c>).</summary>
    public async Task<IReadOnlyList<string[]>> QueryAsync(string sql)
    {
        var run = await Processes.BashAsync(Folder, TimeSpan.FromMinutes(1), "psql.sh", "-tAc", sql);
        if (run.ExitCode != 0) throw new InvalidOperationException($"psql.sh exited with {run.ExitCode} for `{sql}`:\n{run.StdErr}");
        return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('|')).ToList();
    }

    /// <summary>The Celery worker's log (every persisted trace writes one <c>trace_persisted</c> line naming its id).</summary>
    public string WorkerLog()
    {
        var path = Path.Combine(StateFolder, "worker.log");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// Starts the real PandaProbe platform (FastAPI + Celery + Redis + PostgreSQL from
/// <c>../shared/pandaprobe-platform</c>) once for the collection with <c>start.sh</c>, and stops it with
/// <c>stop.sh</c> at the end: only when this fixture started it (start.sh shares an already running stack between
/// callers; stopping someone else's would pull it from under them).
/// </summary>
public sealed partial class RealPlatformFixture : IAsyncLifetime
{
    /// <summary>The first start builds a root file system (about 2 minutes; 10 are allowed for the lock as well).</summary>
    static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(15);
    static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(2);

    PlatformStack? stack;
    string? problem;
    bool startedHere;

    /// <summary>How long start.sh took (zero when it did not run).</summary>
    public TimeSpan StartElapsed { get; private set; }

    /// <summary><c>true</c> when this fixture's start.sh started the stack (rather than finding it running).</summary>
    public bool StartedHere => startedHere;

    /// <summary>The running stack; fails the test, saying why, when the platform could not be started.</summary>
    public PlatformStack Require() =>
        stack ?? throw new InvalidOperationException($"The real PandaProbe platform is not available: {problem}");

    static string StateFolder =>
        Environment.GetEnvironmentVariable("PP_STATE") is { Length: > 0 } s ? s : "/var/tmp/pandaprobe-realplatform";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        // Outside CI the tests were skipped for this reason already; in CI they fail with it (Require).
        if (PlatformLocation.Unavailable is { } why)
        {
            problem = why + (PlatformLocation.InCi ? " (CI is set, so this fails instead of being skipped)" : "");
            return;
        }
        var folder = PlatformLocation.Directory!;
        var before = RunningApiPid();
        ScriptOutcome start;
        try
        {
            start = await Processes.BashAsync(folder, StartTimeout, "start.sh");
        }
        catch (TimeoutException ex)
        {
            problem = ex.Message;
            if (before is null) await StopAsync(folder);
            return;
        }
        StartElapsed = start.Elapsed;
        var line = Started().Matches(start.StdOut).LastOrDefault();
        if (start.ExitCode != 0 || line is null)
        {
            problem = $"start.sh exited with {start.ExitCode} after {start.Elapsed.TotalSeconds:0.0} s without printing endpoint=... api_key=...\n"
                + $"stdout:\n{start.StdOut}\nstderr:\n{Processes.Tail(start.StdErr)}";
            return;
        }
        var after = RunningApiPid();
        startedHere = before is null || before != after;
        stack = new PlatformStack(line.Groups["endpoint"].Value, line.Groups["key"].Value, line.Groups["project"].Value, folder, StateFolder);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (startedHere) await StopAsync(PlatformLocation.Directory!);
    }

    static async Task StopAsync(string folder)
    {
        try { await Processes.BashAsync(folder, StopTimeout, "stop.sh"); }
        catch (TimeoutException) { /* nothing more to do: stop.sh killed what it could */ }
    }

    /// <summary>The API's process id recorded in <c>$PP_STATE/env</c> (null when none is recorded).</summary>
    static string? RunningApiPid()
    {
        var env = Path.Combine(StateFolder, "env");
        if (!File.Exists(env)) return null;
        return File.ReadLines(env).Where(l => l.StartsWith("APP_PID=", StringComparison.Ordinal))
            .Select(l => l["APP_PID=".Length..]).FirstOrDefault();
    }

    [GeneratedRegex(@"^endpoint=(?<endpoint>\S+) api_key=(?<key>\S+) project=(?<project>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Started();
}

/// <summary>The tests that share one real platform.</summary>
[CollectionDefinition(Name)]
public sealed class RealPlatformCollection : ICollectionFixture<RealPlatformFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "real platform";
}
