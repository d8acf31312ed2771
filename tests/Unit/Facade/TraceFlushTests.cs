using System.Collections.Concurrent;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.Unit.Facade;

/// <summary>
/// A trace's own flush: <see cref="TraceContext.FlushAsync"/>, <c>FlushOnDispose</c> (in code or from
/// <c>PANDAPROBE_FLUSH_ON_DISPOSE</c>) with <c>await using</c> and <c>TraceAsync</c>, and the flow's
/// <see cref="Probe.WaitForDelivery"/> scope: each waits for that trace's delivery, not for the export interval.
/// </summary>
public sealed class TraceFlushTests
{
    /// <summary>An exporter that takes <paramref name="delay"/> per batch (forever with an infinite one) and records what it got.</summary>
    sealed class SlowExporter(TimeSpan delay) : ITraceExporter
    {
        public readonly ConcurrentQueue<string> Names = new();
        public string Name => "slow";
        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
        {
            try { await Task.Delay(delay, cancellationToken); }
            catch (OperationCanceledException) { return ExportResult.Failure(batch.Count, "cancelled"); }
            foreach (var t in batch.Traces) Names.Enqueue(t.Name);
            return ExportResult.Success(batch.Count);
        }
    }

    static PandaProbeClient NewClient(ITraceExporter exporter, Dictionary<string, string?>? env = null, bool flushOnDispose = false) => new(new PandaProbeOptions
    {
        RegisterProcessExitHandler = false,
        EnvironmentVariables = env ?? [],
        Exporters = { exporter },
        FlushOnDispose = flushOnDispose,
        FlushInterval = TimeSpan.FromMinutes(10),   // nothing leaves by the interval in these tests
        ShutdownTimeout = TimeSpan.FromSeconds(2),
    });

    [Fact]
    public async Task FlushAsync_ends_the_trace_and_returns_once_it_is_delivered()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(200));
        await using var client = NewClient(exporter);
        var trace = client.StartTrace("request");
        using (trace.Span("work")) { }

        var result = await trace.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.True(trace.EndedAt is not null);
        Assert.True(result.Completed);
        Assert.Equal(1, result.Exported);
        Assert.Equal(0, result.Dropped);
        Assert.Equal(["request"], exporter.Names);
    }

    [Fact]
    public async Task A_trace_that_cannot_be_delivered_in_time_returns_not_completed_at_the_deadline()
    {
        var exporter = new SlowExporter(Timeout.InfiniteTimeSpan);
        await using var client = NewClient(exporter);
        var trace = client.StartTrace("stuck");
        var started = DateTime.UtcNow;

        var result = await trace.FlushAsync(TimeSpan.FromMilliseconds(300));

        Assert.False(result.Completed);
        Assert.Equal(0, result.Exported);
        Assert.Contains("slow", result.Unfinished);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_environment_variable_turns_FlushOnDispose_on_for_await_using_and_TraceAsync()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(50));
        await using var client = NewClient(exporter, new() { [SettingNames.FlushOnDispose] = "true" });
        await using (var trace = client.StartTrace("await-using")) { using (trace.Span("step")) { } }
        Assert.Equal(["await-using"], exporter.Names);   // delivered before DisposeAsync returned

        await client.TraceAsync("trace-async", t => Task.CompletedTask);
        Assert.Equal(["await-using", "trace-async"], exporter.Names);
    }

    [Fact]
    public async Task Without_FlushOnDispose_await_using_does_not_wait()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(50));
        await using var client = NewClient(exporter, new() { [SettingNames.FlushOnDispose] = "false" });
        await using (client.StartTrace("not-waited")) { }
        Assert.Empty(exporter.Names);   // the interval is ten minutes away
        await client.FlushAsync();
        Assert.Equal(["not-waited"], exporter.Names);
    }

    [Fact]
    public async Task A_bad_environment_value_is_a_configuration_error_naming_the_variable()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => NewClient(new InMemoryTraceExporter(), new() { [SettingNames.FlushOnDispose] = "maybe" }));
        Assert.Contains(SettingNames.FlushOnDispose, e.Message);
    }

    [Fact]
    public async Task WaitForDelivery_waits_for_the_flows_ended_traces_only()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(100));
        await using var client = NewClient(exporter);
        TraceContext background;
        var started = DateTime.UtcNow;
        await using (client.WaitForDelivery(TimeSpan.FromSeconds(20)))
        {
            using (var first = client.StartTrace("first")) { }
            await Task.Yield();
            using (var second = client.StartTrace("second")) { }
            background = client.StartTrace("still-open");   // not ended when the scope closes: not waited for
        }
        Assert.Equal(["first", "second"], exporter.Names.Order());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the open trace was waited for");
        using (var after = client.StartTrace("after-the-scope")) { }
        background.End();
        Assert.Equal(2, exporter.Names.Count);   // nothing else was waited for
        await client.FlushAsync();
        Assert.Equal(4, exporter.Names.Count);
    }

    [Fact]
    public async Task A_trace_left_out_by_sampling_settles_its_wait_at_once()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(10));
        await using var client = new PandaProbeClient(new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>(),
            Exporters = { exporter },
            FlushInterval = TimeSpan.FromMinutes(10),
            Sampling = { Ratio = 0, KeepErrors = true },   // a tail rule: decided at the end, then left out
        });
        var trace = client.StartTrace("sampled-out");
        var started = DateTime.UtcNow;

        var result = await trace.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.Completed);
        Assert.Equal(0, result.Exported);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "waited for a trace that was never going to be delivered");
        Assert.Empty(exporter.Names);
    }

    [Fact]
    public async Task After_await_using_with_FlushOnDispose_the_flow_has_its_activity_back()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == Probe.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(10));
        await using var client = NewClient(exporter, flushOnDispose: true);
        System.Diagnostics.Activity.Current = null;
        await using (var trace = client.StartTrace("request")) Assert.NotNull(System.Diagnostics.Activity.Current);
        Assert.Null(System.Diagnostics.Activity.Current);
        Assert.Equal(["request"], exporter.Names);
    }

    [Fact]
    public async Task Two_waits_for_one_trace_are_independent()
    {
        var exporter = new SlowExporter(TimeSpan.FromMilliseconds(300));
        await using var client = NewClient(exporter);
        FlushResult inner;
        await using (client.WaitForDelivery(TimeSpan.FromSeconds(20)))
        {
            var trace = client.StartTrace("twice-watched");
            inner = await trace.FlushAsync(TimeSpan.FromMilliseconds(1));   // gives up at once: the scope's wait stays
        }
        Assert.False(inner.Completed);
        Assert.Equal(["twice-watched"], exporter.Names);   // the scope still waited for the delivery
    }
}
