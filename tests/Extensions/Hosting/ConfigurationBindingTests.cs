using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary><c>AddPandaProbe(configuration)</c>: an <c>appsettings.json</c> section read into the options, strictly.</summary>
public class ConfigurationBindingTests
{
    static IConfigurationSection Section(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("PandaProbe");

    static IConfigurationSection Pairs(params (string Key, string? Value)[] pairs) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create("PandaProbe:" + p.Key, p.Value)))
            .Build()
            .GetSection("PandaProbe");

    static PandaProbeOptions Bound(IConfigurationSection section)
    {
        // The options as bound, before validation (a section may name a project without its key, from the environment).
        using var provider = new ServiceCollection().AddPandaProbe(section).BuildServiceProvider();
        var options = new PandaProbeOptions();
        foreach (var configure in provider.GetServices<IConfigureOptions<PandaProbeOptions>>()) configure.Configure(options);
        return options;
    }

    const string AppSettings = """
        {
          "PandaProbe": {
            "ProjectName": "support-bot",
            "Environment": "production",
            "BatchSize": 20,
            "FlushInterval": "00:00:02",
            "ShutdownTimeout": 3,
            "ContentMode": "Redacted",
            "FlushOnDispose": true,
            "FlushOnDisposeTimeout": 0.5,
            "Sampling": { "Ratio": 0.25, "KeepErrors": false, "KeepSlowerThan": "00:00:10", "KeepCostlierThan": 0.5 },
            "Redaction": { "KeyNames": [ "customer_ref" ], "Patterns": [ "EMP-[0-9]{6}" ], "MaskEmails": false },
            "Spool": { "Directory": "/var/spool/pandaprobe", "MaxBytes": 1048576, "MaxAge": "1.00:00:00", "WriteAhead": true, "FlushToDisk": true },
            "AbandonedTraceTimeout": 600
          }
        }
        """;

    [Fact]
    public void An_appsettings_section_sets_every_kind_of_value()
    {
        var o = Bound(Section(AppSettings));

        Assert.Equal("support-bot", o.ProjectName);
        Assert.Equal("production", o.Environment);
        Assert.Equal(20, o.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(2), o.FlushInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), o.ShutdownTimeout);          // a number is seconds
        Assert.Equal(ContentMode.Redacted, o.ContentMode);
        Assert.True(o.FlushOnDispose);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.FlushOnDisposeTimeout);
        Assert.Equal(0.25, o.Sampling.Ratio);
        Assert.False(o.Sampling.KeepErrors);
        Assert.Equal(TimeSpan.FromSeconds(10), o.Sampling.KeepSlowerThan);
        Assert.Equal(0.5, o.Sampling.KeepCostlierThan);
        Assert.Contains("customer_ref", o.Redaction.KeyNames);
        Assert.Contains("password", o.Redaction.KeyNames);                  // added to the defaults, not replacing them
        Assert.Equal("EMP-[0-9]{6}", Assert.Single(o.Redaction.Patterns).ToString());
        Assert.False(o.Redaction.MaskEmails);
        Assert.True(o.Redaction.MaskApiKeys);
        Assert.Equal("/var/spool/pandaprobe", o.Spool.Directory);
        Assert.Equal(1_048_576, o.Spool.MaxBytes);
        Assert.Equal(TimeSpan.FromDays(1), o.Spool.MaxAge);
        Assert.True(o.Spool.WriteAhead);
        Assert.True(o.Spool.FlushToDisk);
        Assert.Null(o.Spool.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(10), o.AbandonedTraceTimeout);
    }

    [Fact]
    public async Task Configured_redaction_rules_apply_to_what_the_client_exports_and_win_over_the_environment()
    {
        var exporter = new InMemoryTraceExporter();
        var services = new ServiceCollection().AddPandaProbe(
            Pairs(("ContentMode", "redacted"), ("Redaction:KeyNames:0", "customer_ref"),
                  ("Redaction:Patterns:0", "EMP-[0-9]{6}"), ("Redaction:MaskEmails", "false")),
            o =>
            {
                o.EnvironmentVariables = new Dictionary<string, string?> { ["PANDAPROBE_CONTENT_MODE"] = "metadata_only" };
                o.RegisterProcessExitHandler = false;
                o.Exporters.Add(exporter);
            });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<PandaProbeClient>();

        using (var trace = client.StartTrace("support", input: "Refund EMP-004211 for ana@example.com"))
            trace.SetMetadata(new Dictionary<string, object?> { ["customer_ref"] = "C-881" });
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var body = JsonDocument.Parse(Assert.Single(exporter.Traces).ToJson()).RootElement;
        Assert.Equal("Refund [REDACTED] for ana@example.com", body.GetProperty("input").GetString());   // redacted, not metadata only
        Assert.Equal("[REDACTED]", body.GetProperty("metadata").GetProperty("customer_ref").GetString());
    }

    [Fact]
    public async Task Code_wins_over_configuration()
    {
        var services = new ServiceCollection().AddPandaProbe(
            Pairs(("Environment", "production"), ("Release", "1.2.3")),
            o =>
            {
                o.EnvironmentVariables = Support.Clients.NoEnvironment;
                o.RegisterProcessExitHandler = false;
                o.Exporters.Add(new InMemoryTraceExporter());
                o.Environment = "staging";
            });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<PandaProbeClient>();

        Assert.Equal("staging", client.Environment);
        Assert.Equal("1.2.3", client.Release);
    }

    [Fact]
    public void A_misspelt_key_is_an_ArgumentException_naming_its_path()
    {
        var error = Assert.Throws<ArgumentException>(() => Bound(Pairs(("Sampling:Ratoi", "0.5"))));
        Assert.Contains("PandaProbe:Sampling:Ratoi", error.Message);
        Assert.Contains("not a PandaProbe setting", error.Message);
    }

    [Fact]
    public void Every_value_that_does_not_parse_is_named_in_one_ArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => Bound(Pairs(
            ("ContentMode", "secret"), ("Sampling:Ratio", "a tenth"), ("BatchSize", "ten"),
            ("FlushInterval", "soon"), ("Redaction:Patterns:0", "(unclosed"), ("Debug", "yes"))));

        foreach (var path in new[] { "ContentMode", "Sampling:Ratio", "BatchSize", "FlushInterval", "Debug" })
            Assert.Contains("PandaProbe:" + path + ":", error.Message);
        Assert.Contains("PandaProbe:Redaction:Patterns: '(unclosed' is not a regular expression", error.Message);
    }

    [Fact]
    public void A_value_where_a_section_belongs_and_a_section_where_a_value_belongs_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Bound(Pairs(("Sampling", "0.5"), ("BatchSize:Value", "3"))));
        Assert.Contains("PandaProbe:Sampling: expected a section", error.Message);
        Assert.Contains("PandaProbe:BatchSize: expected a single value", error.Message);
    }

    [Fact]
    public void CaptureActivityContext_can_be_set_from_configuration_and_is_on_by_default_in_a_host()
    {
        Assert.False(Bound(Pairs(("CaptureActivityContext", "false"))).CaptureActivityContext);
        using var provider = new ServiceCollection().AddPandaProbe(Pairs()).BuildServiceProvider();
        Assert.True(provider.GetRequiredService<IOptions<PandaProbeOptions>>().Value.CaptureActivityContext);
    }

    [Fact]
    public void An_empty_value_counts_as_not_set()
    {
        var o = Bound(Pairs(("Environment", ""), ("Sampling:Ratio", " "), ("ShutdownTimeout", "")));
        Assert.Null(o.Environment);
        Assert.Null(o.Sampling.Ratio);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ShutdownTimeout);
    }

    [Fact]
    public void A_parsed_value_out_of_range_fails_like_any_invalid_setting_when_the_client_is_resolved()
    {
        var services = new ServiceCollection().AddPandaProbe(Pairs(("Sampling:Ratio", "1.5")), o =>
        {
            o.EnvironmentVariables = Support.Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PandaProbeClient>());
        Assert.Contains("PandaProbe:Sampling:Ratio (PANDAPROBE_SAMPLE_RATE): 1.5 is not between 0 and 1", error.Message);
    }
}
