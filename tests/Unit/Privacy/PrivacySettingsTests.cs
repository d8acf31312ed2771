using System.Collections;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Privacy;

/// <summary>Content mode, sampling and per-trace flush: settings, their validation, and what a client does with them.</summary>
public class PrivacySettingsTests
{
    static SdkSettings Resolve(SettingsOverrides? o = null, params (string Key, string Value)[] env)
    {
        var table = new Hashtable();
        foreach (var (k, v) in env) table[k] = v;
        return EnvironmentSettings.Resolve(o, table);
    }

    [Theory]
    [InlineData("full", ContentMode.Full)]
    [InlineData("redacted", ContentMode.Redacted)]
    [InlineData("metadata_only", ContentMode.MetadataOnly)]
    [InlineData("Metadata-Only", ContentMode.MetadataOnly)]
    public void The_content_mode_is_read_from_the_environment(string text, ContentMode mode) =>
        Assert.Equal(mode, Resolve(null, (SettingNames.ContentMode, text)).ContentMode);

    [Fact]
    public void The_sample_rate_is_read_from_the_environment_and_an_explicit_value_wins()
    {
        Assert.Equal(0.25, Resolve(null, (SettingNames.SampleRate, "0.25")).SampleRate);
        Assert.Equal(0.5, Resolve(new SettingsOverrides { SampleRate = 0.5 }, (SettingNames.SampleRate, "0.25")).SampleRate);
        Assert.Equal(1, Resolve().SampleRate);
        Assert.Equal(ContentMode.Full, Resolve().ContentMode);
    }

    [Theory]
    [InlineData(SettingNames.SampleRate, "1.5", "SampleRate")]
    [InlineData(SettingNames.SampleRate, "half", "SampleRate")]
    [InlineData(SettingNames.ContentMode, "secret", "ContentMode")]
    public void A_bad_value_in_the_environment_is_an_argument_exception_naming_the_setting(string variable, string value, string setting)
    {
        var error = Assert.Throws<ArgumentException>(() => Resolve(null, (variable, value)));
        Assert.Contains(setting, error.Message);
        Assert.Contains(variable, error.Message);
    }

    [Theory]
    [InlineData("ratio")]
    [InlineData("slow")]
    [InlineData("costly")]
    [InlineData("flush")]
    public void A_bad_option_is_an_argument_exception_when_the_client_is_built(string which)
    {
        Assert.Throws<ArgumentException>(() => TestClient.Create(o =>
        {
            switch (which)
            {
                case "ratio": o.Sampling.Ratio = -0.1; break;
                case "slow": o.Sampling.KeepSlowerThan = TimeSpan.Zero; break;
                case "costly": o.Sampling.KeepCostlierThan = double.NaN; break;
                case "flush": o.FlushOnDisposeTimeout = TimeSpan.Zero; break;
            }
        }));
    }

    [Fact]
    public async Task With_every_keep_rule_off_a_trace_the_ratio_drops_is_a_no_op_from_its_start_and_counted()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o => { o.Sampling.Ratio = 0; o.Sampling.KeepErrors = false; }, exporter);
        using (var trace = client.StartTrace("dropped"))
        {
            Assert.False(trace.IsRecording);
            using var span = trace.Span("step");
            Assert.False(span.IsRecording);
        }
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(exporter.Traces);
        Assert.Equal(1, result.Health.SampledOut);
        Assert.Equal(0, result.Health.Dropped);
    }

    [Fact]
    public async Task With_keep_errors_a_trace_the_ratio_drops_is_recorded_and_kept_only_if_it_failed()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o => o.Sampling.Ratio = 0, exporter);
        using (var fine = client.StartTrace("fine")) Assert.True(fine.IsRecording);
        using (var failed = client.StartTrace("failed"))
        using (var span = failed.Span("call")) span.SetError("boom");
        var result = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["failed"], exporter.Traces.Select(t => t.Name));
        Assert.Equal(1, result.Health.SampledOut);
    }

    [Fact]
    public async Task Await_using_a_trace_with_flush_on_dispose_returns_once_the_trace_is_exported()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o => { o.FlushOnDispose = true; o.FlushInterval = TimeSpan.FromHours(1); }, exporter);
        await using (var trace = client.StartTrace("serverless"))
        {
            using var span = trace.Span("handler");
        }
        Assert.Single(exporter.Traces);   // no FlushAsync: the interval is an hour and the batch is not full
    }

    [Fact]
    public async Task Without_flush_on_dispose_await_using_does_not_wait_for_the_export()
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(o => o.FlushInterval = TimeSpan.FromHours(1), exporter);
        await using (client.StartTrace("plain")) { }
        Assert.Empty(exporter.Traces);
    }

    [Fact]
    public async Task Summary_reads_the_trace_as_it_leaves_redacted()
    {
        await using var client = TestClient.Create(o => o.ContentMode = ContentMode.Redacted, new InMemoryTraceExporter());
        var trace = client.StartTrace("t", input: "write to ana@example.com");
        trace.End();
        Assert.Contains("[REDACTED:email]", trace.ToJson());
        Assert.DoesNotContain("ana@example.com", trace.ToJson());
    }
}
