using PandaProbe.Model;
using PandaProbe.Http;
using System.Collections;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model.Delivery;
using PandaProbe.Model.Settings;
using PandaProbe.Pipeline;
using PandaProbe.Serialization;
using PandaProbe.Settings;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// Durable delivery against a Kestrel double of the platform on 127.0.0.1: outages (connections refused), a shutdown
/// during one and a later process replaying the spool, 429 storms, answers that come after the client gave up, damaged
/// spool files and two replayers sharing one spool. Every trace is counted per id at the platform: exactly once.
/// </summary>
public sealed class DurableDeliveryTests : IDisposable
{
    readonly string spool = Path.Combine(Path.GetTempPath(), "pandaprobe-spool-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(spool, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    static PandaProbeClient Client(Uri endpoint, string spool, Action<PandaProbeOptions>? configure = null)
    {
        var options = new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            ApiKey = "sk_pp_durable_0123456789",
            ProjectName = "durable delivery",
            Endpoint = endpoint.ToString(),
            EnvironmentVariables = new Dictionary<string, string?>(),
            MaxRetries = 1,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
            ConnectTimeout = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(2),
            FlushInterval = TimeSpan.FromMilliseconds(50),
            BatchSize = 50,
        };
        options.Spool.Directory = spool;
        configure?.Invoke(options);
        return new PandaProbeClient(options);
    }

    /// <summary>Records <paramref name="count"/> traces of one span each through <paramref name="client"/>; returns their ids.</summary>
    internal static List<Guid> MakeTraces(PandaProbeClient client, int count)
    {
        var ids = new List<Guid>(count);
        for (var i = 0; i < count; i++)
        {
            using var trace = client.StartTrace($"job {i}", input: new { i });
            using (trace.Span("step")) { }
            ids.Add(trace.TraceId);
        }
        return ids;
    }

    /// <summary>Waits (bounded) until every id arrived at the platform.</summary>
    static async Task<IReadOnlyDictionary<string, int>> AllArrived(FakePlatform platform, IReadOnlyCollection<Guid> ids, TimeSpan bound)
    {
        var until = DateTime.UtcNow + bound;
        while (true)
        {
            var arrivals = platform.TraceArrivals;
            if (ids.All(id => arrivals.ContainsKey(id.ToString())) || DateTime.UtcNow > until) return arrivals;
            await Task.Delay(50);
        }
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds: a counter is updated when the answer is read,
    /// a moment after the platform recorded the arrival.</summary>
    static async Task<bool> Eventually(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition() && DateTime.UtcNow < until) await Task.Delay(20);
        return condition();
    }

    static int FilesIn(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory).Count() : 0;

    [Fact]
    public async Task An_outage_with_a_shutdown_during_it_loses_nothing_and_a_later_process_delivers_each_trace_once()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        List<Guid> ids;
        var errors = new List<Exception>();
        await using (var first = Client(endpoint, spool, o => o.OnError = e => { lock (errors) errors.Add(e); }))
        {
            ids = MakeTraces(first, 2_000);
            var result = await first.ShutdownAsync(TimeSpan.FromSeconds(20));
            Assert.True(result.Completed);
            var health = first.Health;
            Assert.Equal(2_000, health.Spooled);          // every trace kept: the queue's overflow included
            Assert.Equal(0, health.Exported);
            Assert.Equal(0, health.Dropped);
            Assert.Empty(errors);                          // nothing was lost, so nothing was reported as lost
        }
        Assert.True(FilesIn(spool) > 0);

        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        await using var second = Client(platform.BaseUrl, spool);
        var arrivals = await AllArrived(platform, ids, TimeSpan.FromSeconds(60));

        Assert.Equal(ids.Select(i => i.ToString()).Order(), arrivals.Keys.Order());
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        Assert.True(await Eventually(() => second.Health.Replayed == 2_000 && FilesIn(spool) == 0),
            $"replayed {second.Health.Replayed}, {FilesIn(spool)} file(s) left");
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task A_platform_that_comes_back_gets_what_was_spooled_during_the_outage_exactly_once()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        await using var client = Client(endpoint, spool);
        var during = MakeTraces(client, 300);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(300, client.Health.Spooled);

        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        var after = MakeTraces(client, 50);
        var all = during.Concat(after).ToList();
        var arrivals = await AllArrived(platform, all, TimeSpan.FromSeconds(60));

        Assert.Equal(all.Count, arrivals.Count);
        Assert.All(arrivals, a => Assert.Equal(1, a.Value));
        // Until the replay finds the platform back, new traces join the spool behind the old ones: all are replayed.
        Assert.InRange(client.Health.Spooled, 300, 350);
        Assert.True(await Eventually(() => client.Health.Spooled == client.Health.Replayed),
            $"spooled {client.Health.Spooled}, replayed {client.Health.Replayed}");
        Assert.Equal(0, client.Health.Dropped);
    }

    [Fact]
    public async Task Without_a_spool_an_outage_drops_and_reports_each_trace()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        var errors = new List<Exception>();
        await using var client = Client(endpoint, spool, o =>
        {
            o.Spool.Enabled = false;
            o.OnError = e => { lock (errors) errors.Add(e); };
        });
        MakeTraces(client, 5);
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, client.Health.DeliveryFailuresFor(DropReason.RetriesExhausted));
        Assert.Equal(0, client.Health.Spooled);
        Assert.Equal(5, errors.Count);
        Assert.False(Directory.Exists(spool));
    }

    [Fact]
    public async Task A_429_storm_longer_than_the_export_deadline_cancels_nothing()
    {
        await using var platform = await FakePlatform.StartAsync();
        var stormUntil = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        platform.Script = _ => DateTime.UtcNow < stormUntil ? Reply.Status(429, "{\"detail\":\"slow down\"}", ("Retry-After", "0.2")) : Reply.Accept;
        var settings = EnvironmentSettings.Resolve(new SettingsOverrides
        {
            ApiKey = "sk_pp_storm_0123456789",
            ProjectName = "storm",
            Endpoint = platform.BaseUrl.ToString(),
            MaxRetries = 20,
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
        }, new Hashtable());
        var exporter = new HttpTraceExporter(settings);
        // An export deadline far shorter than the storm: the platform exporter is not bound by it.
        await using var pipeline = new TracePipeline([exporter],
            PipelineOptions.Create(batchSize: 5, flushInterval: TimeSpan.FromMilliseconds(20), exportTimeout: TimeSpan.FromMilliseconds(200)));
        var traces = Enumerable.Range(0, 20).Select(_ => Traces.With(1)).ToList();
        foreach (var t in traces) pipeline.Route(new Model.TraceEvent.TraceStarted(t.Id, t.Name, t.StartedAt),
            new Model.Output.TraceCompleted(t));
        var result = await pipeline.FlushAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.Completed);
        Assert.Equal(20, platform.TraceArrivals.Count);
        Assert.Equal(0, exporter.Metrics.DroppedFor(DropReason.Cancelled));
        Assert.Equal(0, result.Health.Dropped);
        Assert.True(exporter.Metrics.Retried > 0);
    }

    [Fact]
    public async Task A_score_whose_answer_comes_too_late_is_looked_up_not_posted_again()
    {
        await using var platform = await FakePlatform.StartAsync();
        platform.Script = r => r.IsScore ? Reply.StoreThenAnswerLate(TimeSpan.FromSeconds(3)) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(200) });
        var trace = Traces.With(1);

        var result = await sut.ExportAsync(ExportBatch.Of(trace) with { Scores = [Traces.ScoreOf(trace.Id)] });

        Assert.Equal(2, result.Exported);
        Assert.Single(platform.Requests, r => r.IsScore);        // posted once; its lost answer led to a lookup
        Assert.True(platform.Lookups >= 1);
        Assert.Empty(sut.DeliveryErrors);
    }

    [Fact]
    public async Task A_trace_whose_answer_comes_too_late_is_never_reported_lost()
    {
        await using var platform = await FakePlatform.StartAsync();
        platform.Script = r => r.Attempt == 0 ? Reply.StoreThenAnswerLate(TimeSpan.FromSeconds(3)) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(200) });
        var trace = Traces.With(1);

        var result = await sut.ExportAsync(ExportBatch.Of(trace));

        Assert.Equal(1, result.Exported);
        Assert.Empty(sut.DeliveryErrors);
        // A retry after a lost answer re-posts the trace (an upsert by id: stored once), within the retry budget.
        Assert.InRange(platform.Requests.Count(r => r.IsTrace), 2, 1 + sut.Settings.MaxRetries);
        Assert.Single(platform.Requests.Select(r => r.RequestId).Distinct());
    }

    [Fact]
    public async Task A_damaged_spool_file_is_reported_and_deleted_and_the_rest_is_replayed()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        await using (var first = Client(endpoint, spool))
        {
            MakeTraces(first, 3);
            // In time, so its replay has stopped: a replay still holding a file could rewrite the one torn below.
            Assert.True((await first.ShutdownAsync(TimeSpan.FromSeconds(30))).Completed);
        }
        var files = Directory.GetFiles(spool).Order().ToArray();
        Assert.True(files.Length >= 1);
        var torn = files[0];
        var bytes = File.ReadAllBytes(torn);
        File.WriteAllBytes(torn, bytes[..(bytes.Length / 2)]);   // a write torn in half

        var errors = new List<Exception>();
        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        await using var second = Client(platform.BaseUrl, spool, o => o.OnError = e => { lock (errors) errors.Add(e); });
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // The damaged file is deleted as it is read and reported just after: wait for both.
        while ((FilesIn(spool) > 0 || second.Health.DeliveryFailuresFor(DropReason.SpoolCorrupt) == 0) && DateTime.UtcNow < until)
            await Task.Delay(50);

        Assert.Equal(0, FilesIn(spool));
        var corrupt = second.Health.DeliveryFailuresFor(DropReason.SpoolCorrupt);
        Assert.True(corrupt >= 1);
        Assert.Equal(3 - corrupt, platform.TraceArrivals.Count);
        Assert.Contains(errors.OfType<PandaProbeDeliveryException>(), e => e.Reason == DropReason.SpoolCorrupt);
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task In_write_ahead_mode_every_trace_whose_Dispose_returned_survives_a_SIGKILL()
    {
        await using var platform = await FakePlatform.StartAsync();
        var killed = new TaskCompletionSource();
        // While the child lives the platform never answers: nothing it sends can be delivered before the kill.
        platform.Script = _ => killed.Task.IsCompleted ? Reply.Accept : Reply.WaitFor(killed.Task, TimeSpan.FromSeconds(60), Reply.Status(503));

        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ExitProbe.Path(), "write-ahead", platform.BaseUrl.ToString(), spool, "40" }) start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PANDAPROBE_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        var disposed = new List<string>();
        using (var child = System.Diagnostics.Process.Start(start)!)
        {
            var stderr = child.StandardError.ReadToEndAsync();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await child.StandardOutput.ReadLineAsync(bound.Token) is { } line && line != "waiting")
                if (line.StartsWith("disposed ", StringComparison.Ordinal)) disposed.Add(line["disposed ".Length..]);
            child.Kill();   // SIGKILL: no exit hook, no flush
            await child.WaitForExitAsync(bound.Token);
            Assert.DoesNotContain("Exception", await stderr);
        }
        killed.SetResult();
        Assert.Equal(40, disposed.Count);
        Assert.Empty(platform.TraceArrivals);

        await using var next = Client(platform.BaseUrl, spool);
        var arrivals = await AllArrived(platform, disposed.Select(Guid.Parse).ToList(), TimeSpan.FromSeconds(60));

        Assert.Equal(disposed.Order(), arrivals.Keys.Order());
        Assert.True(await Eventually(() => next.Health.Replayed == 40), $"replayed {next.Health.Replayed}");
    }

    [Fact]
    public async Task In_write_ahead_mode_a_delivered_trace_leaves_nothing_in_the_spool()
    {
        await using var platform = await FakePlatform.StartAsync();
        await using (var client = Client(platform.BaseUrl, spool, o => o.Spool.WriteAhead = true))
        {
            var ids = MakeTraces(client, 20);
            await client.FlushAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(20, platform.TraceArrivals.Count);
            Assert.Equal(0, client.Health.Spooled);
        }
        Assert.Equal(0, FilesIn(spool));
    }

    [Fact]
    public async Task The_spool_holds_only_what_may_leave_the_process()
    {
        const string email = "jane.doe@example.com";
        const string key = "sk-proj-abcdefghijklmnopqrstuvwx";
        var endpoint = FakePlatform.RefusingEndpoint();
        foreach (var writeAhead in new[] { false, true })
        {
            await using var client = Client(endpoint, spool, o =>
            {
                o.ContentMode = Model.ContentMode.Redacted;
                o.Spool.WriteAhead = writeAhead;
            });
            using (var trace = client.StartTrace("support", input: $"mail {email}"))
            using (var span = trace.Span("llm", SpanType.Llm))
            {
                span.SetInput(new { messages = new[] { new { role = "user", content = $"my key is {key}" } } });
                span.SetMetadata(new Dictionary<string, object?> { ["password"] = "hunter2" });
            }
            await client.ShutdownAsync(TimeSpan.FromSeconds(10));
        }

        var files = Directory.GetFiles(spool);
        Assert.NotEmpty(files);
        var text = string.Concat(files.Select(f => System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(f))));
        Assert.Contains("[REDACTED:email]", text);
        Assert.DoesNotContain(email, text);
        Assert.DoesNotContain(key, text);
        Assert.DoesNotContain("hunter2", text);
    }

    [Fact]
    public async Task Late_spans_of_a_spooled_trace_wait_behind_it_and_are_replayed_after_it()
    {
        await using var platform = await FakePlatform.StartAsync();
        var down = true;
        platform.Script = _ => down ? Reply.Status(503) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { MaxRetries = 0 }, spoolDirectory: spool);
        var trace = Traces.With(1);
        var late = Traces.SpanOf(trace.Id, 7);

        var result = await sut.ExportAsync(new ExportBatch([trace], [late], []));

        Assert.Equal(2, result.Deferred);
        Assert.DoesNotContain(platform.Requests, r => r.IsAddSpans);   // not sent ahead of its trace (a 404 would drop it)
        down = false;
        Assert.True(await Eventually(() => platform.Accepted.Count(r => r.IsAddSpans) == 1));
        var accepted = platform.Accepted.ToList();
        Assert.True(accepted.FindIndex(r => r.IsTrace) < accepted.FindIndex(r => r.IsAddSpans));
        Assert.Empty(sut.DeliveryErrors);
    }

    [Fact]
    public async Task The_replay_ends_when_only_this_process_s_own_write_ahead_copies_remain()
    {
        await using var platform = await FakePlatform.StartAsync();
        var entry = new PandaProbe.Model.Delivery.PlatformRequest(PandaProbe.Model.Delivery.RequestKind.Trace, "/traces", Guid.NewGuid().ToString(),
            Guid.NewGuid().ToString(), 1, WireJson.TraceUtf8(Traces.With(1)));
        var files = new PandaProbe.Spool.FileSpool(spool, 1 << 20, TimeSpan.FromDays(1));
        Assert.True(files.TryWrite(entry, out _, out _));                                        // published: to replay
        var held = files.TryWriteLeased([entry with { DeliveryId = "held" }], TimeSpan.FromMinutes(10), out _, out _); // a copy in flight
        Assert.NotNull(held);

        using var sut = new ExporterUnderTest(platform.BaseUrl, spoolDirectory: spool);

        // Not a speed check: a bound, so a replay that spins on the held copy fails the test instead of the run.
        await sut.Exporter.ReplayCompletion.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(platform.Accepted, r => r.IsTrace);
        Assert.True(File.Exists(held!.Path));
        files.Complete(held);
    }

    [Fact]
    public async Task Two_replayers_sharing_a_spool_deliver_each_trace_once()
    {
        var endpoint = FakePlatform.RefusingEndpoint();
        List<Guid> ids;
        await using (var writer = Client(endpoint, spool, o => o.BatchSize = 1))
        {
            ids = MakeTraces(writer, 400);
            await writer.ShutdownAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(400, writer.Health.Spooled);
        }
        await using var platform = await FakePlatform.StartAsync(port: endpoint.Port);
        platform.Script = _ => Reply.Slow(TimeSpan.FromMilliseconds(2), Reply.Accept);
        await using var a = Client(platform.BaseUrl, spool);
        await using var b = Client(platform.BaseUrl, spool);
        var arrivals = await AllArrived(platform, ids, TimeSpan.FromSeconds(60));

        Assert.Equal(400, arrivals.Count);
        Assert.All(arrivals, x => Assert.Equal(1, x.Value));
        Assert.True(await Eventually(() => a.Health.Replayed + b.Health.Replayed == 400),
            $"replayed {a.Health.Replayed} + {b.Health.Replayed}");
    }
}
