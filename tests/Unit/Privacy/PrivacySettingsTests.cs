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
    [InlineData(SettingNames.MaskSecrets, "maybe", "MaskSecrets")]
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

    [Theory]
    [InlineData(null, true)]
    [InlineData("false", false)]
    [InlineData("FALSE", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("true", true)]
    [InlineData(" ", true)]
    public void Masking_secrets_is_on_unless_the_environment_turns_it_off(string? value, bool expected)
    {
        var settings = value is null ? Resolve() : Resolve(null, (SettingNames.MaskSecrets, value));
        Assert.Equal(expected, settings.MaskSecrets);
        Assert.True(Resolve(new SettingsOverrides { MaskSecrets = true }, (SettingNames.MaskSecrets, "false")).MaskSecrets);   // explicit wins
    }

    const string OpenAiKey = "sk-proj-abcdefghijklmnop1234";
    const string Bearer = "Bearer abcdefghijklmnopqrstuvwxyz";
    const string ConnectionString = "Server=db;User Id=app;Password=hunter2;Encrypt=true";
    const string Url = "postgres://app:s3cr3t@db.internal/orders";

    /// <summary>One trace with the four secrets and an e-mail in its input, output, metadata and error, as exported.</summary>
    static async Task<TraceRecord> ExportOne(Action<PandaProbeOptions> configure)
    {
        var exporter = new InMemoryTraceExporter();
        await using var client = TestClient.Create(configure, exporter);
        using (var trace = client.StartTrace("chat", input: $"key {OpenAiKey}, mail ana@example.com"))
        {
            trace.SetOutput(new { header = Bearer, note = "reply to ana@example.com" });
            trace.SetMetadata(new Dictionary<string, object?> { ["db"] = ConnectionString, ["contact"] = "ana@example.com" });
            trace.SetError($"cannot reach {Url}");
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        return Assert.Single(exporter.Traces);
    }

    [Fact]
    public async Task A_default_client_masks_secrets_in_input_output_metadata_and_errors_and_keeps_the_rest()
    {
        var t = await ExportOne(_ => { });
        Assert.Equal("key [REDACTED:key], mail ana@example.com", t.Input!.Value);
        Assert.Equal("""{"header":"Bearer [REDACTED:key]","note":"reply to ana@example.com"}""", t.Output!.Value);
        Assert.Equal("Server=db;User Id=app;Password=[REDACTED];Encrypt=true", t.Metadata["db"].Value);
        Assert.Equal("ana@example.com", t.Metadata["contact"].Value);
        Assert.Equal("cannot reach postgres://app:[REDACTED]@db.internal/orders", t.Error!.Message);
        Assert.Equal("chat", t.Name);
    }

    [Theory]
    [InlineData("option")]
    [InlineData("environment")]
    public async Task Masking_secrets_can_be_turned_off_by_the_option_or_the_environment(string how)
    {
        var t = await ExportOne(o =>
        {
            if (how == "option") o.Redaction.MaskSecrets = false;
            else o.EnvironmentVariables = new Dictionary<string, string?> { [SettingNames.MaskSecrets] = "false" };
        });
        Assert.Equal($"key {OpenAiKey}, mail ana@example.com", t.Input!.Value);
        Assert.Contains(Bearer, t.Output!.Value);
        Assert.Equal(ConnectionString, t.Metadata["db"].Value);
        Assert.Equal($"cannot reach {Url}", t.Error!.Message);
    }

    [Fact]
    public async Task The_option_wins_over_the_environment_and_a_bad_value_stops_the_client()
    {
        var t = await ExportOne(o =>
        {
            o.Redaction.MaskSecrets = true;
            o.EnvironmentVariables = new Dictionary<string, string?> { [SettingNames.MaskSecrets] = "false" };
        });
        Assert.Equal("key [REDACTED:key], mail ana@example.com", t.Input!.Value);
        var error = Assert.Throws<ArgumentException>(() => TestClient.Create(o =>
            o.EnvironmentVariables = new Dictionary<string, string?> { [SettingNames.MaskSecrets] = "off-ish" }));
        Assert.Contains("Redaction.MaskSecrets (PANDAPROBE_MASK_SECRETS)", error.Message);
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
