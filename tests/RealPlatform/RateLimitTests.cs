using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PandaProbe.Pipeline;
using PandaProbe.RealPlatform.Support;
using Xunit;
using Xunit.Abstractions;

namespace PandaProbe.RealPlatform;

/// <summary>
/// Issue 26 against the real platform: its <c>POST /traces</c> limit (100 a minute per API key, a bare 429 whose body
/// names the rate) met by an application that completes three times as many traces, for two minutes. The SDK learns
/// the rate, paces to it, says once that traces come faster than the platform accepts, spools the rest and delivers
/// it in the same process; PostgreSQL ends up with every trace exactly once.
/// </summary>
[Collection(RealPlatformCollection.Name)]
public sealed partial class RateLimitTests(RealPlatformFixture platform, ITestOutputHelper output) : IDisposable
{
    const int Traces = 600;                                          // 300 a minute for 2 minutes
    static readonly TimeSpan Every = TimeSpan.FromMilliseconds(200);
    static readonly TimeSpan DrainBound = TimeSpan.FromMinutes(10);
    static readonly TimeSpan StoreBound = TimeSpan.FromMinutes(2);
    const string Warning = "faster than the platform accepts";
    const string Learned = "paced to that rate";

    readonly string spool = Path.Combine(Path.GetTempPath(), "pandaprobe-realplatform-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(spool, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    void Say(string line) => output.WriteLine(line);

    static string S(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    [RealPlatformFact]
    public async Task A_sustained_three_times_the_platform_rate_is_stored_exactly_once_with_one_warning()
    {
        var stack = platform.Require();
        Say($"platform: {stack.Endpoint}; start.sh took {S(platform.StartElapsed)} ({(platform.StartedHere ? "started by this run" : "already running")})");

        // A project of its own: the stack (and its API key, so its rate limit) may be shared; the data is not.
        var project = "rate-e2e-" + Guid.NewGuid().ToString("N")[..12];
        var clock = Stopwatch.StartNew();
        var logs = new ConcurrentQueue<(TimeSpan At, string Line)>();
        var wire = new WireLog(clock);
        SelfLog.Enable(line => logs.Enqueue((clock.Elapsed, line)));
        try
        {
            var options = new PandaProbeOptions
            {
                RegisterProcessExitHandler = false,
                ApiKey = stack.ApiKey,
                ProjectName = project,
                Endpoint = stack.Endpoint,
                EnvironmentVariables = new Dictionary<string, string?>(),
                HttpMessageHandlerFactory = wire.Handler,
            };
            options.Spool.Directory = spool;
            await using var client = new PandaProbeClient(options);

            // 1. Offer 300 traces a minute for two minutes: one trace with one span every 200 ms, on a fixed schedule.
            var ids = new List<Guid>(Traces);
            for (var i = 0; i < Traces; i++)
            {
                var wait = Every * i - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                using var trace = client.StartTrace($"paced {i}", input: new { messages = new[] { new { role = "user", content = $"job {i}" } } });
                using (trace.Span("step")) { }
                ids.Add(trace.TraceId);
            }
            var offered = clock.Elapsed;
            var during = client.Health;
            Say($"offered {Traces} traces in {S(offered)}; meanwhile exported {during.Exported}, spooled {during.Spooled}, "
                + $"replayed {during.Replayed}, pending {during.Pending}, dropped {during.Dropped}");

            // 2. Flush until nothing waits, neither in the spool nor in the pipeline (bounded).
            var flushes = new List<FlushResult>();
            FlushResult flush;
            do
            {
                flush = await client.FlushAsync(TimeSpan.FromSeconds(30));
                flushes.Add(flush);
                Say($"  flush at {S(clock.Elapsed)}: completed {flush.Completed}, exported {flush.Exported}, spooled {flush.Spooled}, "
                    + $"sent from spool {flush.Replayed}, still spooled {flush.StillSpooled}, pending {flush.Pending}, dropped {flush.Dropped}");
            }
            while ((flush.StillSpooled > 0 || flush.Pending > 0) && clock.Elapsed - offered < DrainBound);
            var drained = clock.Elapsed;
            var health = client.Health;
            Say($"drained at {S(drained)} ({S(drained - offered)} after the last trace, {flushes.Count} flushes): "
                + $"exported {health.Exported}, spooled {health.Spooled}, replayed {health.Replayed}, retried {health.Retried}, "
                + $"pending {health.Pending}, dropped {health.Dropped} [{string.Join(", ", health.DroppedByReason.Where(d => d.Value > 0).Select(d => $"{d.Key}: {d.Value}"))}]");
            Say($"flush sums: exported {flushes.Sum(f => f.Exported)}, spooled {flushes.Sum(f => f.Spooled)}, sent from spool {flushes.Sum(f => f.Replayed)}");

            // 3. The worker persists asynchronously: wait (bounded) until PostgreSQL holds every trace of the project.
            var sql = "select t.trace_id, count(*) from traces t join projects p on p.id = t.project_id "
                + $"where p.name = '{project}' group by t.trace_id";
            var sent = ids.Select(i => i.ToString()).ToHashSet(StringComparer.Ordinal);
            IReadOnlyList<string[]> rows;
            while (true)
            {
                rows = await stack.QueryAsync(sql);
                if (sent.IsSubsetOf(rows.Select(r => r[0])) || clock.Elapsed - drained > StoreBound) break;
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            var stored = clock.Elapsed;
            var persisted = PersistedCounts(stack.WorkerLog(), sent);
            Say($"stored at {S(stored)}: {rows.Count} rows for project {project}; the worker logged {persisted.Values.Sum()} persists of these ids");

            // What the platform answered, as the client saw it.
            var posts = wire.Posts;
            var refusals = posts.Where(p => p.Status == 429).ToList();
            var accepted = posts.Where(p => p.Status is >= 200 and < 300).GroupBy(p => p.TraceId).ToDictionary(g => g.Key, g => g.Count());
            Say($"POST /traces: {posts.Count} requests, {accepted.Values.Sum()} accepted (2xx), {refusals.Count} answered 429, "
                + $"{posts.Count(p => p.Status is not (>= 200 and < 300) and not 429)} other");
            foreach (var g in posts.Where(p => p.Status is not (>= 200 and < 300)).GroupBy(p => (p.Status, p.Body)))
                Say($"  {g.Count()} x {g.Key.Status} {g.Key.Body} (first at {S(g.First().At)}, last at {S(g.Last().At)})");
            if (refusals.Count > 0) Say($"  429s at: {string.Join(", ", refusals.Select(r => S(r.At)))}");
            if (posts.Count > 0) Say($"  first request answered at {S(posts[0].At)}, last at {S(posts[^1].At)}");
            foreach (var (minute, count) in posts.Where(p => p.Status is >= 200 and < 300).GroupBy(p => (int)p.At.TotalMinutes).Select(g => (g.Key, g.Count())))
                Say($"  minute {minute}: {count} accepted");
            Say("SDK log:");
            foreach (var (at, line) in logs) Say($"  [{S(at)}] {line}");
            Say($"wall time: {S(clock.Elapsed)} (offering {S(offered)}, draining {S(drained - offered)}, waiting for the worker {S(stored - drained)})");

            // Every trace stored exactly once: one row each, none missing, none the test did not send.
            var storedIds = rows.Select(r => r[0]).ToList();
            Assert.Empty(sent.Except(storedIds));
            Assert.Empty(storedIds.Except(sent));
            Assert.All(rows, r => Assert.Equal("1", r[1]));
            Assert.Equal(Traces, rows.Count);
            // ... and accepted exactly once: the platform upserts by id, so only its answers and its worker show a resend.
            Assert.All(sent, id => Assert.Equal(1, accepted.GetValueOrDefault(id)));
            Assert.All(sent, id => Assert.Equal(1, persisted.GetValueOrDefault(id)));

            // The rate was learned from the 429's body, and the sustained excess was warned about exactly once.
            var learned = Assert.Single(logs, l => l.Line.Contains(Learned, StringComparison.Ordinal));
            Assert.Contains("at most 100 requests per minute to POST /traces", learned.Line, StringComparison.Ordinal);
            Assert.Single(logs, l => l.Line.Contains(Warning, StringComparison.Ordinal));

            // Nothing lost, everything counted once, nothing left behind.
            Assert.Equal(0, health.Dropped);
            Assert.Equal(Traces, health.Exported + health.Replayed);
            Assert.Equal(0, flush.StillSpooled);
            Assert.Equal(0, flush.Pending);
        }
        finally
        {
            SelfLog.Disable();
        }
    }

    /// <summary>How many times the worker logged <c>trace_persisted</c> for each of <paramref name="ids"/>.</summary>
    static Dictionary<string, int> PersistedCounts(string workerLog, IReadOnlySet<string> ids) =>
        PersistedLine().Matches(workerLog).Select(m => m.Groups["id"].Value).Where(ids.Contains)
            .GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());

    [GeneratedRegex("\\{\"trace_id\": \"(?<id>[0-9a-f-]{36})\", \"event\": \"trace_persisted\"")]
    private static partial Regex PersistedLine();
}
