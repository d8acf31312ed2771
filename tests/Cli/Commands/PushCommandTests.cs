using System.Collections;
using PandaProbe.Cli.Commands;
using PandaProbe.Cli.Tests.Support;
using PandaProbe.Model.Settings;
using PandaProbe.Tests.Shared;
using Xunit;

namespace PandaProbe.Cli.Tests.Commands;

public class PushCommandTests
{
    static Hashtable Env(PlatformDouble platform, int retries = 0) => new()
    {
        ["PANDAPROBE_API_KEY"] = "sk_pp_0123456789abcdef",
        ["PANDAPROBE_PROJECT_NAME"] = "cli tests",
        ["PANDAPROBE_ENDPOINT"] = platform.Endpoint.ToString().TrimEnd('/'),
        ["PANDAPROBE_MAX_RETRIES"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PANDAPROBE_TIMEOUT"] = "5",
    };

    static readonly SettingsOverrides FastBackoff = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5), MaxIngestionLagRetries = 0,
    };

    static async Task<CliRun.Result> Push(IDictionary env, string file, bool plain = true, CancellationToken ct = default)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(60));   // a hang fails the test instead of the run
        return await CliRun.RunCommandAsync(io => PushCommand.Create(io, env, FastBackoff), ["push", file], plain, bound.Token);
    }

    [Fact]
    public async Task First_push_sends_everything_and_a_second_push_sends_nothing()
    {
        await using var platform = await PlatformDouble.StartAsync();
        using var files = new SdkFiles();
        var (file, coordinator, researcher, second) = await files.WriteAgentsAsync();

        var first = await Push(Env(platform), file, plain: false);   // with the progress bar
        Assert.Equal("", first.Error);
        Assert.Equal(0, first.Exit);
        Assert.Contains("sent 5, skipped 0 (already sent), failed 0", first.Out);
        Assert.Equal(new[] { coordinator, researcher, second }.Select(g => g.ToString()).Order(), platform.AcceptedTraces.Order());
        Assert.Single(platform.Requests, r => r.Path == $"/traces/{coordinator}/spans");
        Assert.Single(platform.Requests, r => r.Path == "/evaluations/trace-scores");
        Assert.Equal(5, File.ReadAllLines(file + PushCommand.ProgressSuffix).Length);

        var count = platform.Requests.Count;
        var again = await Push(Env(platform), file);
        Assert.Equal(0, again.Exit);
        Assert.Contains("sent 0, skipped 5 (already sent), failed 0", again.Out);
        Assert.Equal(count, platform.Requests.Count);
        Assert.False(Directory.Exists(Path.Combine(HermeticEnvironment.LocalData, "PandaProbe", "spool")), "push leaves no spool behind");
    }

    [Fact]
    public async Task A_push_interrupted_by_dropped_connections_resumes_with_only_the_rest()
    {
        await using var platform = await PlatformDouble.StartAsync();
        using var files = new SdkFiles();
        var (file, ids) = await files.WriteManyAsync(6);
        platform.DropAfter = 1;

        var interrupted = await Push(Env(platform), file);
        Assert.Equal(1, interrupted.Exit);
        Assert.Contains("sent 1, skipped 0 (already sent), failed 5", interrupted.Out);
        Assert.Matches(@"many\.jsonl:\d+: trace .* 'run-\d': ", interrupted.Error);
        Assert.Single(platform.AcceptedTraces);

        platform.DropAfter = null;
        var resumed = await Push(Env(platform), file);
        Assert.Equal(0, resumed.Exit);
        Assert.Contains("sent 5, skipped 1 (already sent), failed 0", resumed.Out);
        Assert.Equal(ids.Select(g => g.ToString()).Order(), platform.AcceptedTraces.Order());   // each exactly once
    }

    [Fact]
    public async Task A_trace_the_platform_fails_is_reported_with_its_reason_and_sent_by_the_next_push()
    {
        await using var platform = await PlatformDouble.StartAsync();
        using var files = new SdkFiles();
        var (file, ids) = await files.WriteManyAsync(3);
        platform.FailTraces[ids[1].ToString()] = true;

        var first = await Push(Env(platform, retries: 1), file);   // retried once by the exporter's rules, then given up
        Assert.Equal(1, first.Exit);
        Assert.Contains("sent 2, skipped 0 (already sent), failed 1", first.Out);
        Assert.Contains($"many.jsonl:2: trace {ids[1]} 'run-1': ", first.Error);
        Assert.Equal(2, platform.Requests.Count(r => r.TraceId == ids[1].ToString()));

        platform.FailTraces.Clear();
        var second = await Push(Env(platform), file);
        Assert.Equal(0, second.Exit);
        Assert.Contains("sent 1, skipped 2 (already sent), failed 0", second.Out);
        Assert.Equal(ids.Select(g => g.ToString()).Order(), platform.AcceptedTraces.Order());
    }

    [Fact]
    public async Task A_cancelled_push_resumes_and_every_trace_arrives_exactly_once()
    {
        await using var platform = await PlatformDouble.StartAsync();
        using var files = new SdkFiles();
        var (file, ids) = await files.WriteManyAsync(20);
        using var cancel = new CancellationTokenSource();
        var env = Env(platform);
        env["PANDAPROBE_MAX_CONCURRENT_REQUESTS"] = "1";
        platform.Delay = TimeSpan.FromMilliseconds(50);
        var run = Push(env, file, ct: cancel.Token);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (platform.AcceptedTraces.Count < 3 && DateTime.UtcNow < until) await Task.Delay(1);
        await cancel.CancelAsync();
        var first = await run;
        Assert.Equal(1, first.Exit);
        Assert.Contains("interrupted", first.Out);
        Assert.InRange(platform.AcceptedTraces.Count, 3, 19);
        platform.Delay = TimeSpan.Zero;

        var resumed = await Push(Env(platform), file);
        Assert.Equal(0, resumed.Exit);
        Assert.Equal(ids.Select(g => g.ToString()).Order(), platform.AcceptedTraces.Order());
    }

    [Fact]
    public async Task Missing_settings_or_file_are_exit_2_with_a_clear_message()
    {
        using var files = new SdkFiles();
        var (file, _) = await files.WriteManyAsync(1);
        var noKey = await CliRun.RunCommandAsync(io => PushCommand.Create(io, new Hashtable { ["PANDAPROBE_PROJECT_NAME"] = "p" }), ["push", file]);
        Assert.Equal(2, noKey.Exit);
        Assert.Contains("PANDAPROBE_API_KEY", noKey.Error);
        Assert.DoesNotContain("PANDAPROBE_PROJECT_NAME", noKey.Error);
        Assert.False(File.Exists(file + PushCommand.ProgressSuffix));

        var noFile = await CliRun.RunCommandAsync(io => PushCommand.Create(io, new Hashtable()), ["push", files.PathOf("gone.jsonl")]);
        Assert.Equal(2, noFile.Exit);
        Assert.Contains("gone.jsonl", noFile.Error);
    }
}
