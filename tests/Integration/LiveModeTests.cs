using PandaProbe.Integration.Support;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// Live mode against the platform double: a long run is visible while it runs (posted RUNNING at its start, its spans
/// added as they end), and its completion is the usual upsert with every span; nothing is counted twice.
/// </summary>
public sealed class LiveModeTests : PlatformTest
{
    PandaProbeClient Client(bool live, Action<PandaProbeOptions>? configure = null)
    {
        var options = new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                [SettingNames.ApiKey] = "sk_pp_live",
                [SettingNames.ProjectName] = "live",
                [SettingNames.Endpoint] = platform.BaseUrl + "/",
                [SettingNames.LiveMode] = live ? "true" : null,
            },
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
            RequestTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return new PandaProbeClient(options);
    }

    [Fact]
    public async Task A_running_trace_is_posted_at_its_start_its_spans_as_they_end_and_the_completion_upserts_it()
    {
        await using var client = Client(live: true, o => { o.ContentMode = ContentMode.Redacted; o.Redaction.KeyNames.Add("secret"); });
        var trace = client.StartTrace("long-agent", input: new { task = "plan", secret = "s3" });
        using (var step = trace.Span("step-1", SpanType.Tool)) step.SetOutput("done 1");

        var progress = await client.FlushAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, progress.Exported);   // progress is not an item
        var running = Assert.Single(platform.Accepted, r => r.IsTrace).Json;
        Assert.Equal(trace.TraceId.ToString(), running.GetProperty("trace_id").GetString());
        Assert.Equal("RUNNING", running.GetProperty("status").GetString());
        Assert.False(running.TryGetProperty("ended_at", out _));
        Assert.Equal("plan", running.GetProperty("input").GetProperty("task").GetString());
        Assert.NotEqual("s3", running.GetProperty("input").GetProperty("secret").GetString());   // redacted like the rest
        var added = Assert.Single(platform.Accepted, r => r.IsAddSpans);
        Assert.Equal($"/traces/{trace.TraceId}/spans", added.Route);
        Assert.Equal("step-1", Assert.Single(added.Json.EnumerateArray()).GetProperty("name").GetString());

        using (trace.Span("step-2", SpanType.Llm)) { }
        trace.End();
        var done = await client.FlushAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(1, done.Exported);
        var final = platform.Accepted.Where(r => r.IsTrace).Last().Json;
        Assert.Equal("COMPLETED", final.GetProperty("status").GetString());
        Assert.Equal(["step-1", "step-2"], final.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order());
        Assert.Equal(2, platform.TraceArrivals[trace.TraceId.ToString()]);   // RUNNING, then COMPLETED: one trace upserted twice
        Assert.Equal(1, client.Health.Exported);
        Assert.Equal(0, client.Health.Pending);
        Assert.Empty(platform.Problems);
    }

    [Fact]
    public async Task A_trace_that_starts_and_ends_between_two_exports_is_posted_once()
    {
        await using var client = Client(live: true);
        using (var trace = client.StartTrace("short"))
        using (trace.Span("step")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(15));

        var posted = Assert.Single(platform.Accepted, r => r.IsTrace).Json;
        Assert.Equal("COMPLETED", posted.GetProperty("status").GetString());
        Assert.DoesNotContain(platform.Accepted, r => r.IsAddSpans);
    }

    [Fact]
    public async Task Without_live_mode_nothing_leaves_before_the_trace_completes()
    {
        await using var client = Client(live: false);
        var trace = client.StartTrace("quiet");
        using (trace.Span("step")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(15));
        Assert.Empty(platform.Requests);
        trace.End();
        await client.FlushAsync(TimeSpan.FromSeconds(15));
        Assert.Single(platform.Accepted, r => r.IsTrace);
    }

    [Fact]
    public async Task With_tail_sampling_rules_no_progress_leaves_before_the_decision()
    {
        await using var client = Client(live: true, o => { o.Sampling.Ratio = 0.5; o.Sampling.KeepErrors = true; });
        var trace = client.StartTrace("maybe-kept");
        using (trace.Span("step")) { }
        await client.FlushAsync(TimeSpan.FromSeconds(15));
        Assert.Empty(platform.Requests);
        trace.End();
    }
}
