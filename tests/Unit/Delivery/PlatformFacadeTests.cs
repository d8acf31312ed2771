using PandaProbe.Pipeline;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Delivery;

/// <summary>Platform configuration through the facade, and the score API.</summary>
public class PlatformFacadeTests
{
    private static PandaProbeClient Build(Action<PandaProbeOptions> configure, params (string Key, string Value)[] env)
    {
        var options = new PandaProbeOptions
        {
            EnvironmentVariables = env.ToDictionary(e => e.Key, e => (string?)e.Value),
            RegisterProcessExitHandler = false,
            LocalFilePath = Path.Combine(Path.GetTempPath(), $"pandaprobe-test-{Guid.NewGuid():N}.jsonl"),
        };
        configure(options);
        return new PandaProbeClient(options);
    }

    [Fact]
    public async Task Key_and_project_from_the_environment_select_the_platform_exporter()
    {
        await using var client = Build(_ => { }, (SettingNames.ApiKey, "sk_pp_x"), (SettingNames.ProjectName, "demo"),
            (SettingNames.Endpoint, "http://127.0.0.1:9"));
        Assert.True(client.SendsToPlatform);
        Assert.True(client.Health.SendsToPlatform);
        Assert.Equal(0, client.Health.Retried);
        Assert.Empty(client.Health.DeliveryFailures);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yes")]
    [InlineData("off")]
    public async Task The_platform_exporter_follows_the_clients_own_enabled_decision(string enabled)
    {
        await using var client = Build(_ => { }, (SettingNames.Enabled, enabled), (SettingNames.ApiKey, "sk_pp_x"),
            (SettingNames.ProjectName, "demo"), (SettingNames.Endpoint, "http://127.0.0.1:9"));
        Assert.Equal(client.IsEnabled, client.SendsToPlatform);
    }

    [Fact]
    public async Task Without_credentials_the_client_writes_the_local_file_instead()
    {
        await using var client = Build(_ => { });
        Assert.True(client.IsEnabled);
        Assert.False(client.SendsToPlatform);
        Assert.False(client.Health.SendsToPlatform);
    }

    [Fact]
    public async Task Explicit_exporters_replace_the_platform_exporter()
    {
        await using var client = Build(o => o.Exporters.Add(new RecordingExporter()),
            (SettingNames.ApiKey, "sk_pp_x"), (SettingNames.ProjectName, "demo"));
        Assert.False(client.SendsToPlatform);
    }

    [Fact]
    public async Task Disabled_builds_no_exporter_even_with_credentials()
    {
        await using var client = Build(o => o.Enabled = false, (SettingNames.ApiKey, "sk_pp_x"), (SettingNames.ProjectName, "demo"));
        Assert.False(client.IsEnabled);
        Assert.False(client.SendsToPlatform);
    }

    [Theory]
    [InlineData(SettingNames.Endpoint, "not-a-url", "Endpoint")]
    [InlineData(SettingNames.Timeout, "fast", "RequestTimeout")]
    [InlineData(SettingNames.MaxConcurrentRequests, "-1", "MaxConcurrentRequests")]
    public void Invalid_platform_settings_fail_at_construction_naming_the_setting(string variable, string value, string setting) =>
        Assert.Equal(setting, Assert.Throws<ArgumentException>(() => Build(_ => { }, (variable, value))).ParamName);

    [Fact]
    public void An_option_beats_an_invalid_environment_value() =>
        Build(o => o.Endpoint = "https://h/api/", (SettingNames.Endpoint, "not-a-url")).Dispose();

    [Fact]
    public void A_key_without_a_project_fails_at_construction() =>
        Assert.Contains("project name is required",
            Assert.Throws<ArgumentException>(() => Build(o => o.ApiKey = "sk_pp_x")).Message);

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public async Task A_numeric_score_outside_0_1_is_refused_and_counted_not_thrown(double value)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        client.Score(Guid.NewGuid(), "quality", value);
        var result = await client.FlushAsync();
        Assert.Equal(1, result.Health.DroppedByReason[DropReason.InvalidValue]);
        Assert.Empty(exporter.Scores);
    }

    [Fact]
    public async Task Score_names_and_labels_follow_the_same_rule_as_feedback()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        client.Score(Guid.NewGuid(), "", 0.5);
        client.Score(Guid.NewGuid(), new string('n', 256), true);
        client.Score(Guid.NewGuid(), "label", "");
        client.Score(Guid.NewGuid(), "label", new string('l', 256));
        client.LogNumericFeedback(2.0, Guid.NewGuid());
        PandaProbeClient.Disabled.Score(Guid.NewGuid(), "quality", 2.0);   // disabled: nothing to count, nothing thrown
        client.Score(Guid.NewGuid(), "kept", 0.5);
        var result = await client.FlushAsync();
        Assert.Equal(5, result.Health.DroppedByReason[DropReason.InvalidValue]);
        Assert.Equal("kept", Assert.Single(exporter.Scores).Name);
    }

    [Fact]
    public async Task Scores_of_every_type_reach_the_exporter_in_order()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        var id = Guid.NewGuid();
        var trace = client.StartTrace("scored");
        trace.Score("from-trace", 0.25);
        trace.Dispose();

        client.Score(id, "quality", 0.85, "looks right", new Dictionary<string, object?> { ["judge"] = "gpt" });
        client.Score(id, "thumbs", false);
        client.Score(id, "verdict", "PASS");
        await client.FlushAsync();

        var scores = exporter.Batches.SelectMany(b => b.Scores).ToList();
        Assert.Equal(["from-trace", "quality", "thumbs", "verdict"], scores.Select(s => s.Name));
        Assert.Equal(new TraceId(trace.TraceId), scores[0].Trace);
        Assert.Equal(("0.85", ScoreDataType.Numeric), (scores[1].Value, scores[1].DataType));
        Assert.Equal("looks right", scores[1].Reason);
        Assert.Equal("\"gpt\"", scores[1].Metadata.Find("judge").Map(p => p.ToJson()).ToNullable());
        Assert.Equal(("false", ScoreDataType.Boolean), (scores[2].Value, scores[2].DataType));
        Assert.Equal(("PASS", ScoreDataType.Categorical), (scores[3].Value, scores[3].DataType));
    }
}
