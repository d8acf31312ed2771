using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// Issue 26's reliability scenarios against the Kestrel double on 127.0.0.1, in one process: the platform's own rate
/// limit (a bare 429 whose body names the rate, as the real platform answers), a 429 storm with <c>Retry-After</c>, and
/// an outage the platform comes back from. In each, every trace arrives exactly once, in this process, and the
/// counters say what the double stored.
/// </summary>
public sealed class RateAndRecoveryTests : IDisposable
{
    readonly string spool = Path.Combine(Path.GetTempPath(), "pandaprobe-rate-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(spool, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    /// <summary>
    /// The real platform's limiter, scaled down: at most <paramref name="count"/> <c>POST /traces</c> per fixed window of
    /// one second; past it, a bare 429 with <c>{"error": "Rate limit exceeded: N per 1 second"}</c>.
    /// </summary>
    static Func<Received, Reply> FixedWindowLimit(int count, Action onRefused)
    {
        var gate = new object();
        var window = DateTime.UtcNow;
        var used = 0;
        return r =>
        {
            if (!r.IsTrace) return Reply.Accept;
            lock (gate)
            {
                var now = DateTime.UtcNow;
                if (now - window >= TimeSpan.FromSeconds(1))
                {
                    window = now;
                    used = 0;
                }
                if (++used <= count) return Reply.Accept;
            }
            onRefused();
            return Reply.Status(429, $"{{\"error\": \"Rate limit exceeded: {count} per 1 second\"}}");
        };
    }

    [Fact]
    public async Task Traces_above_the_platform_s_rate_are_paced_to_it_and_each_arrives_once_with_one_warning()
    {
        await using var platform = await FakePlatform.StartAsync();
        var refused = 0;
        platform.Script = FixedWindowLimit(10, () => Interlocked.Increment(ref refused));
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { MaxRetries = 3 }, spoolDirectory: spool);

        // Traces complete at 30 a second for two seconds, three times what the platform takes: each batch is handed
        // to the exporter as it completes, as the pipeline's lanes do once they are full.
        var traces = new List<Model.TraceRecord>();
        var exports = new List<Task<ExportResult>>();
        for (var i = 0; i < 20; i++)
        {
            var batch = Enumerable.Range(0, 3).Select(_ => Traces.With(1)).ToList();
            traces.AddRange(batch);
            ((IDurableExporter)sut.Exporter).Offered(batch.Count);   // as the pipeline's lane does when a batch enters it
            exports.Add(sut.ExportAsync(new ExportBatch(batch, [], [])));
            await Task.Delay(100);
        }
        var results = await Task.WhenAll(exports).WaitAsync(TimeSpan.FromSeconds(60));
        await sut.Exporter.ReplayCompletion.WaitAsync(TimeSpan.FromSeconds(30));

        var arrivals = platform.TraceArrivals;
        Assert.Equal(traces.Select(t => t.Id.ToString()).Order(), arrivals.Keys.Order());
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        Assert.Equal(60, results.Sum(r => r.Exported) + sut.Exporter.Metrics.Replayed);
        Assert.Empty(sut.DeliveryErrors);
        // Paced after the first refusal: the refusals until the double's window ends, not one per request.
        Assert.InRange(refused, 1, 20);
        Assert.Single(sut.Logs, l => l.Contains("paced to that rate", StringComparison.Ordinal));
        Assert.Single(sut.Logs, l => l.Contains("faster than the platform accepts", StringComparison.Ordinal));
        Assert.Equal(new Model.Delivery.PlatformRate(10, TimeSpan.FromSeconds(1)), sut.Exporter.Rates.TraceRate);
    }

    [Fact]
    public async Task The_rate_fit_sampler_keeps_every_error_and_leaves_out_what_the_platform_cannot_take()
    {
        await using var platform = await FakePlatform.StartAsync();
        platform.Script = FixedWindowLimit(10, () => { });
        await using var client = Client(platform.BaseUrl, spool, o => o.Sampling.FitPlatformRate = true);

        // 30 traces a second for 3 s, one in five an error: three times what the platform takes.
        var errors = new List<Guid>();
        var all = new List<Guid>();
        for (var i = 0; i < 90; i++)
        {
            using (var trace = client.StartTrace($"job {i}"))
            {
                using var span = trace.Span("step");
                if (i % 5 == 0)
                {
                    span.SetError("failed");
                    errors.Add(trace.TraceId);
                }
                all.Add(trace.TraceId);
            }
            await Task.Delay(33);
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        FlushResult flush;
        do flush = await client.FlushAsync(TimeSpan.FromSeconds(10));
        while ((flush.StillSpooled > 0 || flush.Pending > 0) && DateTime.UtcNow < deadline);

        var arrivals = platform.TraceArrivals;
        var health = client.Health;
        Assert.All(errors, id => Assert.True(arrivals.ContainsKey(id.ToString()), $"error trace {id} missing"));
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        Assert.True(health.SampledOut > 0, "nothing was left out");
        Assert.Equal(all.Count, arrivals.Count + health.SampledOut);   // each trace either stored once or left out, counted
        Assert.Equal(0, health.Dropped);
    }

    static PandaProbeClient Client(Uri endpoint, string spool, Action<PandaProbeOptions>? configure = null)
    {
        var options = new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            ApiKey = "sk_pp_recovery_0123456789",
            ProjectName = "recovery",
            Endpoint = endpoint.ToString(),
            EnvironmentVariables = new Dictionary<string, string?>(),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(2),
            FlushInterval = TimeSpan.FromMilliseconds(50),
        };
        options.Spool.Directory = spool;
        configure?.Invoke(options);
        return new PandaProbeClient(options);
    }

    static List<Guid> MakeTraces(PandaProbeClient client, int count) => DurableDeliveryTests.MakeTraces(client, count);

    [Fact]
    public async Task After_an_outage_the_same_process_delivers_what_it_spooled_and_a_flush_says_so()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        // Default backoff settings: the replay's probe, not a short test backoff, finds the platform back.
        await using var client = Client(endpoint, spool);
        var during = MakeTraces(client, 300);
        var first = await client.FlushAsync(TimeSpan.FromSeconds(20));
        Assert.True(first.Completed);
        Assert.Equal(300, first.Spooled);
        Assert.Equal(0, first.Exported);
        Assert.Equal(300, first.StillSpooled);
        var http = Assert.Single(client.Health.Exporters, e => e.Name == "http");
        Assert.Equal(ExporterHealth.Condition.Degraded, http.State);
        Assert.Contains("unreachable", http.Problem);

        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long sentFromSpool = 0, stillSpooled;
        do
        {
            var flush = await client.FlushAsync(TimeSpan.FromSeconds(10));
            sentFromSpool += flush.Replayed;
            stillSpooled = flush.StillSpooled;
        }
        while (stillSpooled > 0 && DateTime.UtcNow < deadline);

        Assert.Equal(0, stillSpooled);
        Assert.Equal(300, sentFromSpool);
        var arrivals = platform.TraceArrivals;
        Assert.Equal(during.Select(i => i.ToString()).Order(), arrivals.Keys.Order());
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        Assert.Equal(300, client.Health.Replayed);
        Assert.Equal(0, client.Health.Dropped);
        Assert.Equal(ExporterHealth.Condition.Healthy, Assert.Single(client.Health.Exporters).State);
    }

    [Fact]
    public async Task Two_processes_replaying_one_spool_send_each_trace_once_and_lose_none()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        List<Guid> ids;
        await using (var writer = Client(endpoint, spool, o => o.BatchSize = 1))
        {
            ids = MakeTraces(writer, 300);
            await writer.ShutdownAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(300, writer.Health.Spooled);
        }
        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        platform.Script = _ => Reply.Slow(TimeSpan.FromMilliseconds(3), Reply.Accept);   // long enough for the two to meet

        var children = Enumerable.Range(0, 2).Select(_ =>
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { ExitProbe.Path(), "replay", platform.BaseUrl.ToString(), spool, "60" }) start.ArgumentList.Add(arg);
            return System.Diagnostics.Process.Start(start)!;
        }).ToList();
        var replayed = 0L;
        foreach (var child in children)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var output = await child.StandardOutput.ReadToEndAsync(bound.Token);
            await child.WaitForExitAsync(bound.Token);
            Assert.Equal(0, child.ExitCode);
            var line = output.Split('\n').Single(l => l.StartsWith("replayed ", StringComparison.Ordinal));
            replayed += long.Parse(line["replayed ".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            child.Dispose();
        }

        var arrivals = platform.TraceArrivals;
        Assert.Equal(ids.Select(i => i.ToString()).Order(), arrivals.Keys.Order());
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        Assert.Equal(300, replayed);   // the two processes' counters add up to what the platform stored
        Assert.Empty(Directory.EnumerateFiles(spool));
    }

    [Fact]
    public async Task A_429_storm_with_Retry_After_ends_with_every_trace_stored_once_in_the_same_process()
    {
        await using var platform = await FakePlatform.StartAsync();
        var stormUntil = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        platform.Script = r => r.IsTrace && DateTime.UtcNow < stormUntil ? Reply.Status(429, "{\"detail\":\"slow down\"}", ("Retry-After", "1")) : Reply.Accept;
        await using var client = Client(platform.BaseUrl, spool, o =>
        {
            o.MaxRetries = 1;
            o.InitialBackoff = TimeSpan.FromMilliseconds(50);
            o.MaxBackoff = TimeSpan.FromMilliseconds(500);
        });
        var ids = MakeTraces(client, 200);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        FlushResult flush;
        long exported = 0, replayed = 0, spooled = 0;
        do
        {
            flush = await client.FlushAsync(TimeSpan.FromSeconds(10));
            exported += flush.Exported;
            replayed += flush.Replayed;
            spooled += flush.Spooled;
        }
        while ((flush.StillSpooled > 0 || platform.TraceArrivals.Count < ids.Count) && DateTime.UtcNow < deadline);

        var arrivals = platform.TraceArrivals;
        Assert.Equal(ids.Select(i => i.ToString()).Order(), arrivals.Keys.Order());
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        // Each trace counted once: delivered live, or spooled and then sent from the spool.
        var health = client.Health;
        Assert.Equal(ids.Count, health.Exported + health.Replayed);
        Assert.Equal(health.Spooled, health.Replayed);
        Assert.Equal(0, health.Dropped);
        Assert.Equal(0, flush.StillSpooled);
    }
}
