using System.Collections;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using Xunit;

namespace PandaProbe.Unit.Delivery;

/// <summary>The configuration behaviours of the Python SDK's test_config.py, plus the .NET validation rules.</summary>
public class SettingsTests
{
    private static SdkSettings Resolve(SettingsOverrides? o = null, params (string Key, string Value)[] env) =>
        EnvironmentSettings.Resolve(o, Env(env));

    private static Hashtable Env(params (string Key, string Value)[] env)
    {
        var table = new Hashtable();
        foreach (var (k, v) in env) table[k] = v;
        return table;
    }

    [Fact]
    public void Defaults_match_the_python_sdk()
    {
        var s = Resolve();
        Assert.Equal("https://api.pandaprobe.com", s.Endpoint);
        Assert.Equal(10, s.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(5), s.FlushInterval);
        Assert.Equal(1000, s.MaxQueueSize);
        Assert.True(s.Enabled);
        Assert.False(s.Debug);
        Assert.True(s.Environment is null);
        Assert.True(s.Release is null);
        Assert.True(s.ApiKey.IsNone);
        Assert.False(s.SendsToPlatform);
    }

    [Fact]
    public void Defaults_of_the_dotnet_settings()
    {
        var s = Resolve();
        Assert.Equal(TimeSpan.FromSeconds(5), s.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestTimeout);
        Assert.Equal(3, s.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.InitialBackoff);
        Assert.Equal(TimeSpan.FromSeconds(30), s.MaxBackoff);
        Assert.Equal(TimeSpan.FromSeconds(60), s.RetryAfterCap);
        Assert.Equal(4, s.MaxConcurrentRequests);
        Assert.Equal(TimeSpan.FromSeconds(10), s.ShutdownDeadline);
    }

    [Fact]
    public void Every_environment_variable_is_read()
    {
        var s = Resolve(null,
            (SettingNames.ApiKey, "sk_pp_env"), (SettingNames.ProjectName, "env-project"), (SettingNames.Endpoint, "http://127.0.0.1:9/"),
            (SettingNames.Environment, "staging"), (SettingNames.Release, "v2"), (SettingNames.Enabled, "yes"),
            (SettingNames.BatchSize, "20"), (SettingNames.FlushInterval, "2.5"), (SettingNames.MaxQueueSize, "50"),
            (SettingNames.Debug, "TRUE"), (SettingNames.Timeout, "7"), (SettingNames.MaxRetries, "5"),
            (SettingNames.MaxConcurrentRequests, "2"), (SettingNames.LocalFile, "/tmp/x.jsonl"));
        Assert.Equal("sk_pp_env", s.ApiKey.ToNullable());
        Assert.Equal("env-project", s.ProjectName.ToNullable());
        Assert.Equal("http://127.0.0.1:9", s.Endpoint);
        Assert.Equal("staging", s.Environment);
        Assert.Equal("v2", s.Release);
        Assert.True(s.Enabled);
        Assert.Equal(20, s.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(2.5), s.FlushInterval);
        Assert.Equal(50, s.MaxQueueSize);
        Assert.True(s.Debug);
        Assert.Equal(TimeSpan.FromSeconds(7), s.RequestTimeout);
        Assert.Equal(5, s.MaxRetries);
        Assert.Equal(2, s.MaxConcurrentRequests);
        Assert.Equal("/tmp/x.jsonl", s.LocalFilePath.ToNullable());
        Assert.True(s.SendsToPlatform);
    }

    [Fact]
    public void Explicit_values_win_over_the_environment()
    {
        var s = Resolve(
            new SettingsOverrides { ApiKey = "sk_pp_code", ProjectName = "code", BatchSize = 3, Enabled = true, Endpoint = "https://h/api/" },
            (SettingNames.ApiKey, "sk_pp_env"), (SettingNames.ProjectName, "env"), (SettingNames.BatchSize, "20"),
            (SettingNames.Enabled, "false"), (SettingNames.Endpoint, "https://other"));
        Assert.Equal("sk_pp_code", s.ApiKey.ToNullable());
        Assert.Equal("code", s.ProjectName.ToNullable());
        Assert.Equal(3, s.BatchSize);
        Assert.True(s.Enabled);
        Assert.Equal("https://h/api", s.Endpoint);
        Assert.Equal(new Uri("https://h/api/traces"), s.Url("/traces"));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("Yes", true)]
    [InlineData("false", false)]
    [InlineData("on", false)]
    [InlineData(" true", false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    public void Enabled_uses_the_truthy_set_only(string value, bool expected) =>
        Assert.Equal(expected, Resolve(null, (SettingNames.Enabled, value)).Enabled);

    [Fact]
    public void Disabled_needs_neither_key_nor_project()
    {
        var s = Resolve(null, (SettingNames.Enabled, "false"), (SettingNames.ApiKey, "sk_pp_only"));
        Assert.False(s.Enabled);
        Assert.False(s.SendsToPlatform);
    }

    [Fact]
    public void An_empty_endpoint_falls_back_to_the_default() =>
        Assert.Equal(SdkSettings.DefaultEndpoint, Resolve(null, (SettingNames.Endpoint, "")).Endpoint);

    [Fact]
    public void An_empty_api_key_counts_as_missing() =>
        Assert.True(Resolve(null, (SettingNames.ApiKey, "")).ApiKey.IsNone);

    [Theory]
    [InlineData(SettingNames.BatchSize, "ten", "BatchSize")]
    [InlineData(SettingNames.MaxQueueSize, "1e3", "MaxQueueSize")]
    [InlineData(SettingNames.FlushInterval, "soon", "FlushInterval")]
    [InlineData(SettingNames.FlushInterval, "-1", "FlushInterval")]
    [InlineData(SettingNames.Endpoint, "not a url", "Endpoint")]
    [InlineData(SettingNames.Endpoint, "ftp://host", "Endpoint")]
    [InlineData(SettingNames.Timeout, "0", "RequestTimeout")]
    [InlineData(SettingNames.MaxRetries, "-2", "MaxRetries")]
    [InlineData(SettingNames.MaxConcurrentRequests, "0", "MaxConcurrentRequests")]
    public void Invalid_environment_values_throw_naming_the_setting(string variable, string value, string option)
    {
        var ex = Assert.Throws<ArgumentException>(() => Resolve(null, (variable, value)));
        Assert.Equal(option, ex.ParamName);
        Assert.Contains(variable, ex.Message);
        Assert.Contains(value, ex.Message);
    }

    [Fact]
    public void Every_error_is_listed()
    {
        var errors = SdkSettings.Validate(null, new Dictionary<string, string>
        {
            [SettingNames.BatchSize] = "x", [SettingNames.MaxQueueSize] = "y", [SettingNames.Endpoint] = "z",
        }).Match(_ => [], e => e.ToList());
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Invalid_explicit_values_throw_naming_the_option()
    {
        Assert.Equal("MaxConcurrentRequests",
            Assert.Throws<ArgumentException>(() => Resolve(new SettingsOverrides { MaxConcurrentRequests = 0 })).ParamName);
        Assert.Equal("RequestTimeout",
            Assert.Throws<ArgumentException>(() => Resolve(new SettingsOverrides { RequestTimeout = TimeSpan.Zero })).ParamName);
        Assert.Equal("MaxBackoff",
            Assert.Throws<ArgumentException>(() => Resolve(new SettingsOverrides
                { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(1) })).ParamName);
    }

    [Fact]
    public void A_key_without_a_project_is_an_error_and_the_reverse_too()
    {
        Assert.Contains("project name is required",
            Assert.Throws<ArgumentException>(() => Resolve(new SettingsOverrides { ApiKey = "sk_pp_x" })).Message);
        Assert.Contains("API key is required",
            Assert.Throws<ArgumentException>(() => Resolve(new SettingsOverrides { ProjectName = "p" })).Message);
    }

    [Theory]
    [InlineData("my project", true)]
    [InlineData("Bob's agent.v2", true)]
    [InlineData("-leading", false)]
    [InlineData("trailing_", false)]
    [InlineData("semi;colon", false)]
    public void Project_names_follow_the_platform_rule(string name, bool ok)
    {
        var result = SdkSettings.Validate(new SettingsOverrides { ApiKey = "sk_pp_x", ProjectName = name }, new Dictionary<string, string>());
        Assert.Equal(ok, result.IsSuccess);
    }

    [Fact]
    public void Only_pandaprobe_variables_are_read()
    {
        var read = EnvironmentSettings.Read(Env(("PANDAPROBE_DEBUG", "1"), ("HOME", "/root"), ("pandaprobe_debug", "1")));
        Assert.Equal(new[] { "PANDAPROBE_DEBUG" }, read.Keys.ToArray());
    }
}
