using PandaProbe.Pipeline;
using System.Diagnostics.Metrics;
using System.Net.Http;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>Timeouts, refused and reset connections, throttling storms, concurrency and deadlines.</summary>
public sealed class FaultInjectionTests : PlatformTest
{


    private IEnumerable<string?> AcceptedTraceIds => platform.Accepted.Where(r => r.IsTrace).Select(r => r.Json.GetProperty("trace_id").GetString());

    [Fact]
    public async Task A_response_slower_than_the_timeout_is_retried_and_delivered_once()
    {
        platform.Script = r => r.Attempt == 0 ? Reply.Slow(TimeSpan.FromSeconds(30), Reply.Accept) : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        var trace = Traces.With(1);

        var result = await sut.ExportAsync(ExportBatch.Of(trace));

        Assert.Equal(1, result.Exported);
        Assert.Equal(2, platform.Requests.Count);
        Assert.Equal([trace.Id.ToString()], AcceptedTraceIds);
    }

    [Fact]
    public async Task Timeouts_on_every_attempt_are_reported_as_unconfirmed_not_as_lost()
    {
        platform.Script = _ => Reply.Slow(TimeSpan.FromSeconds(30), Reply.Accept);
        using var sut = new ExporterUnderTest(platform.BaseUrl,
            o => o with { RequestTimeout = TimeSpan.FromMilliseconds(150), MaxRetries = 1 });

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Failed);
        Assert.Equal(2, platform.Requests.Count);
        var error = Assert.Single(sut.DeliveryErrors);
        // The requests went out and may yet be stored (the platform answers late): not "lost", but unconfirmed.
        Assert.Equal(DropReason.Unconfirmed, error.Reason);
        Assert.Contains("no answer within", error.Detail);
        Assert.Contains("no answer confirmed it arrived", error.Detail);
        Assert.Empty(platform.Accepted);
    }

    [Fact]
    public async Task A_connection_reset_mid_request_is_retried_and_delivered_once()
    {
        platform.Script = r => r.Attempt < 2 ? Reply.Abort : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        var traces = new[] { Traces.With(2), Traces.With(3) };

        var result = await sut.ExportAsync(ExportBatch.Of(traces));

        Assert.Equal(2, result.Exported);
        Assert.Equal(6, platform.Requests.Count);
        Assert.Equal(traces.Select(t => t.Id.ToString()).Order(), AcceptedTraceIds.Order());
    }

    [Fact]
    public async Task A_refused_connection_is_retried_then_reported_to_the_error_callback()
    {
        using var sut = new ExporterUnderTest(FakePlatform.RefusingEndpoint(), o => o with { MaxRetries = 2 });

        var result = await sut.ExportAsync(new ExportBatch([Traces.With(1)], [], [Traces.ScoreOf(TraceId.New())]));

        Assert.Equal(new ExportResult(0, 2, result.Error), result);
        Assert.All(sut.DeliveryErrors, e =>
        {
            Assert.Equal(DropReason.RetriesExhausted, e.Reason);
            Assert.IsType<HttpRequestException>(e.InnerException);
        });
        Assert.Equal(2, sut.DeliveryErrors.Count());
        Assert.Equal(4, sut.Exporter.Metrics.Retried);
    }

    [Fact]
    public async Task A_429_storm_narrows_the_send_window_to_one_and_success_widens_it_again()
    {
        platform.Script = r => r.RouteCount < 6 ? Reply.Status(429, "{\"error\":\"slow down\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { MaxRetries = 10, MaxConcurrentRequests = 4 });
        Assert.Equal(4, sut.Exporter.CurrentLimit.Allowed);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1), Traces.With(1)));
        Assert.Equal(2, result.Exported);
        var afterStorm = sut.Exporter.CurrentLimit;
        Assert.True(afterStorm.Allowed < 4, $"window {afterStorm.Window} after six 429s");

        var traces = Enumerable.Range(0, 40).Select(_ => Traces.With(1)).ToArray();
        Assert.Equal(40, (await sut.ExportAsync(ExportBatch.Of(traces))).Exported);
        Assert.Equal(4, sut.Exporter.CurrentLimit.Allowed);
        Assert.Equal(TimeSpan.Zero, sut.Exporter.CurrentLimit.Pause);
    }

    [Fact]
    public async Task One_slow_request_does_not_hold_the_others()
    {
        var fast = new[] { Traces.With(1), Traces.With(1), Traces.With(1) };
        var slow = Traces.With(1);
        var othersArrived = Task.WhenAll(fast.Select(t => platform.Arrival(r => r.Body.Contains(t.Id.ToString()))));
        platform.Script = r => r.Body.Contains(slow.Id.ToString())
            ? Reply.WaitFor(othersArrived, TimeSpan.FromSeconds(5), Reply.Accept)
            : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl, o => o with { RequestTimeout = TimeSpan.FromSeconds(10), MaxRetries = 0 });

        var result = await sut.ExportAsync(ExportBatch.Of([slow, .. fast]));

        // Sequential sending would make the slow trace time out waiting for the others (599, not retried).
        Assert.Equal(4, result.Exported);
        Assert.Equal(4, platform.Requests.Count);
    }

    [Fact]
    public async Task The_deadline_abandons_what_is_left_and_counts_it()
    {
        platform.Script = _ => Reply.Slow(TimeSpan.FromSeconds(30), Reply.Accept);
        using var sut = new ExporterUnderTest(platform.BaseUrl,
            o => o with { RequestTimeout = TimeSpan.FromSeconds(20), MaxConcurrentRequests = 2 });
        using var deadline = new CancellationTokenSource();
        var batch = new ExportBatch(
            Enumerable.Range(0, 5).Select(_ => Traces.With(1)).ToArray(), [Traces.SpanOf(TraceId.New(), 0)], [Traces.ScoreOf(TraceId.New())]);
        var export = sut.ExportAsync(batch, deadline.Token);
        await platform.Arrival(r => r.IsTrace);

        deadline.Cancel();
        var result = await export;

        Assert.Equal(new ExportResult(0, 7, result.Error), result);
        Assert.Equal(7, sut.Exporter.Metrics.DroppedFor(DropReason.Cancelled));
        Assert.Contains(sut.Logs, l => l.Contains("7 item(s) abandoned"));
        Assert.Empty(platform.Accepted);
    }

    [Fact]
    public async Task A_shut_down_exporter_counts_the_batch_as_failed_without_throwing()
    {
        var sut = new ExporterUnderTest(platform.BaseUrl);
        await sut.Exporter.ShutdownAsync(CancellationToken.None);

        var result = await sut.ExportAsync(ExportBatch.Of(Traces.With(1)));

        Assert.Equal(1, result.Failed);
        Assert.Empty(platform.Requests);
    }

    [Fact]
    public async Task Delivery_failures_reach_the_PandaProbe_meter_by_their_reason()
    {
        platform.Script = r => r.Body.Contains("\"bad-one\"") ? Reply.Status(401, "{\"detail\":\"Invalid API key\"}") : Reply.Accept;
        using var sut = new ExporterUnderTest(platform.BaseUrl);
        // The meter publishes the pipeline's counters, which read the exporter's delivery tally.
        var counters = new PandaProbe.Pipeline.PipelineCounters();
        counters.ReadDeliveryFrom([sut.Exporter.Metrics]);
        using var meter = counters.Publish();
        var measurements = new List<(string Instrument, long Value, string? Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? reason = null;
            foreach (var tag in tags) if (tag.Key == "reason") reason = tag.Value as string;
            lock (measurements) measurements.Add((instrument.Name, value, reason));
        });
        listener.Start();

        await sut.ExportAsync(ExportBatch.Of(Traces.With(1), Traces.With(1, name: "bad-one")));
        listener.RecordObservableInstruments();

        Assert.Equal("PandaProbe", meter.Name);
        lock (measurements)
            Assert.Contains(measurements, m => m.Instrument == "pandaprobe.items.dropped" && m.Reason == "unauthorized" && m.Value == 1);
        var health = sut.Exporter.Metrics;
        Assert.Equal((2L, 1L, 1L, 1L), (health.Queued, health.Exported, health.Failed, health.Dropped));
    }
}
