using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PandaProbe.Exporters;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Hosting;

/// <summary>
/// <c>AddPandaProbe("section")</c> in a real generic host with real configuration: validation at start naming key and
/// variable, the host's client as the <see cref="Probe"/> default, and the SDK's diagnostics in the host's log.
/// </summary>
[Collection(ProcessWide.Name)]
public class HostIntegrationTests
{
    static HostApplicationBuilder Builder(params (string Key, string? Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, s.Value)));
        return builder;
    }

    static void Hermetic(PandaProbeOptions options, ITraceExporter exporter, IReadOnlyDictionary<string, string?>? environment = null)
    {
        options.EnvironmentVariables = environment ?? Clients.NoEnvironment;
        options.RegisterProcessExitHandler = false;
        options.Exporters.Add(exporter);
    }

    [Fact]
    public async Task A_named_section_of_the_host_configuration_sets_the_options()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Builder(("PandaProbe:Environment", "production"), ("PandaProbe:Release", "2.0.1"), ("Other:Key", "x"));
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, exporter));

        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();
        Assert.Equal("production", client.Environment);
        Assert.Equal("2.0.1", client.Release);
        using (client.StartTrace("job")) { }
        await host.StopAsync();

        Assert.Equal("production", Assert.Single(exporter.Traces).Environment);
    }

    [Fact]
    public async Task A_nested_section_path_works_and_a_misspelt_key_under_it_fails_start_naming_its_path()
    {
        var builder = Builder(("Observability:PandaProbe:BachSize", "20"));
        builder.Services.AddPandaProbe("Observability:PandaProbe", o => Hermetic(o, new InMemoryTraceExporter()));

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());
        Assert.Contains("Observability:PandaProbe:BachSize: not a PandaProbe setting", error.Message);
    }

    [Fact]
    public async Task Out_of_range_values_fail_host_start_naming_each_key_and_its_environment_variable()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Builder(("PandaProbe:BatchSize", "0"), ("PandaProbe:Sampling:Ratio", "1.5"), ("PandaProbe:ShutdownTimeout", "0"));
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, exporter));

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("PandaProbe:BatchSize (PANDAPROBE_BATCH_SIZE): 0 is below the minimum 1", error.Message);
        Assert.Contains("PandaProbe:Sampling:Ratio (PANDAPROBE_SAMPLE_RATE): 1.5 is not between 0 and 1", error.Message);
        Assert.Contains("PandaProbe:ShutdownTimeout: ", error.Message);
        Assert.Equal(3, error.Failures.Count());
        Assert.False(exporter.IsShutdown);                                   // no client was built
    }

    [Fact]
    public async Task A_bad_environment_variable_fails_host_start_naming_the_variable_and_the_key_that_would_override_it()
    {
        var builder = Builder();
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new InMemoryTraceExporter(),
            new Dictionary<string, string?> { ["PANDAPROBE_MAX_QUEUE_SIZE"] = "lots" }));

        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("PandaProbe:MaxQueueSize (PANDAPROBE_MAX_QUEUE_SIZE): 'lots' is not an integer", error.Message);
    }

    [Fact]
    public async Task Options_set_in_code_only_are_validated_at_start_too_named_by_option()
    {
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddPandaProbe(o =>
            {
                Hermetic(o, new InMemoryTraceExporter());
                o.Sampling.KeepSlowerThan = TimeSpan.FromSeconds(-1);
            }))
            .Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Sampling:KeepSlowerThan must be positive", error.Message);
    }

    [Fact]
    public async Task While_the_host_runs_Probe_is_the_host_client_and_the_previous_default_comes_back_at_stop()
    {
        var (previous, previousExporter) = Clients.InMemory();
        using var restore = Probe.SetDefault(previous);
        var exporter = new InMemoryTraceExporter();
        var builder = Builder(("PandaProbe:Environment", "production"));
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, exporter));

        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();
        Assert.Same(client, Probe.Client);
        using (var trace = Probe.StartTrace("from-the-facade"))
            trace.Span("step", SpanType.Tool, span => span.SetOutput("ok"));
        await host.StopAsync();

        var exported = Assert.Single(exporter.Traces);                      // flushed at stop, by the host's client
        Assert.Equal("from-the-facade", exported.Name);
        Assert.Equal("production", exported.Environment);
        Assert.Same(previous, Probe.Client);
        Assert.Empty(previousExporter.Traces);
        Assert.True(previous.IsEnabled);                                    // restored, not shut down
        await previous.ShutdownAsync();
    }

    [Fact]
    public async Task Probe_Init_while_the_host_runs_replaces_the_default_without_shutting_the_host_client_down()
    {
        var (previous, _) = Clients.InMemory();
        using var restore = Probe.SetDefault(previous);
        var exporter = new InMemoryTraceExporter();
        var builder = Builder();
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, exporter));

        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();
        var own = new InMemoryTraceExporter();
        var initialised = Probe.Init(new PandaProbeOptions
        {
            EnvironmentVariables = Clients.NoEnvironment, RegisterProcessExitHandler = false, Exporters = { own },
        });
        using (client.StartTrace("still-recording")) { }
        await host.StopAsync();

        Assert.Equal("still-recording", Assert.Single(exporter.Traces).Name);
        Assert.Same(initialised, Probe.Client);                             // the host leaves a later default alone
        await initialised.ShutdownAsync();
        await previous.ShutdownAsync();
    }

    [Fact]
    public async Task SetAsDefault_false_leaves_Probe_alone()
    {
        var (previous, _) = Clients.InMemory();
        using var restore = Probe.SetDefault(previous);
        var builder = Builder();
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new InMemoryTraceExporter()));
        builder.Services.Configure<PandaProbeHostingOptions>(o => o.SetAsDefault = false);

        using var host = builder.Build();
        await host.StartAsync();
        Assert.NotSame(host.Services.GetRequiredService<PandaProbeClient>(), Probe.Client);
        Assert.Same(previous, Probe.Client);
        await host.StopAsync();
        await previous.ShutdownAsync();
    }

    [Fact]
    public async Task SDK_diagnostics_go_to_the_PandaProbe_logger_rate_limited_and_the_previous_writer_comes_back_at_stop()
    {
        var before = new List<string>();
        Action<string> previousWriter = before.Add;
        SelfLog.Enable(previousWriter);
        try
        {
            var logs = new RecordingLoggerProvider();
            var builder = Builder();
            builder.Logging.AddProvider(logs);
            builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new InMemoryTraceExporter()));
            builder.Services.Configure<PandaProbeHostingOptions>(o => o.MaxRepeatsPerMinute = 3);

            using var host = builder.Build();
            await host.StartAsync();
            for (var i = 0; i < 10; i++) SelfLog.Write("exporter 'x' failed: connection refused");
            SelfLog.Write("another problem");
            var whileRunning = logs.In("PandaProbe").ToList();
            await host.StopAsync();
            SelfLog.Write("after the host");

            Assert.Equal(4, whileRunning.Count);
            Assert.All(whileRunning, l => Assert.Equal(LogLevel.Warning, l.Level));
            Assert.Equal(3, whileRunning.Count(l => l.Message == "exporter 'x' failed: connection refused"));
            Assert.Contains(whileRunning, l => l.Message == "another problem");
            var suppressed = Assert.Single(logs.In("PandaProbe").Skip(4), l => l.Message.Contains("were not logged"));
            Assert.Equal("7 more diagnostics like this were not logged (at most 3 of a kind and 100 in all a minute): exporter 'x' failed: connection refused", suppressed.Message);
            Assert.Same(previousWriter, SelfLog.Writer);
            Assert.Contains(before, l => l.EndsWith("PandaProbe: after the host", StringComparison.Ordinal));
            Assert.DoesNotContain(before, l => l.Contains("another problem"));
        }
        finally
        {
            SelfLog.Disable();
        }
    }

    [Fact]
    public async Task Diagnostics_that_differ_only_in_names_numbers_or_exception_text_share_one_limit_and_all_lines_have_a_cap()
    {
        try
        {
            var logs = new RecordingLoggerProvider();
            var builder = Builder();
            builder.Logging.AddProvider(logs);
            builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new InMemoryTraceExporter()));
            builder.Services.Configure<PandaProbeHostingOptions>(o => o.MaxRepeatsPerMinute = 2);
            using var host = builder.Build();
            await host.StartAsync();

            // One kind: only the quoted name, the number and the exception's message vary.
            for (var i = 0; i < 30; i++) SelfLog.Write($"exporter 'shard-{i}' failed after {i} attempts: timeout {i}");
            var perKind = logs.In("PandaProbe").Count(l => l.Message.StartsWith("exporter", StringComparison.Ordinal));
            // 150 kinds of one line each: the overall cap holds.
            static string Word(int i) => new([(char)('a' + i / 26 % 26), (char)('a' + i % 26)]);
            for (var i = 0; i < 150; i++) SelfLog.Write($"problem {Word(i)} happened");
            var whileRunning = logs.In("PandaProbe").ToList();
            await host.StopAsync();

            Assert.Equal(2, perKind);
            Assert.Equal(DiagnosticsCap, whileRunning.Count);
            var reports = logs.In("PandaProbe").Skip(whileRunning.Count).Select(l => l.Message).ToList();
            Assert.Contains("28 more diagnostics like this were not logged (at most 2 of a kind and 100 in all a minute): exporter 'shard-29' failed after 29 attempts: timeout 29", reports);
            var overCap = Assert.Single(reports, r => r.Contains(": problem ", StringComparison.Ordinal));
            Assert.StartsWith($"{150 - (DiagnosticsCap - 2)} more diagnostics like this", overCap);
            Assert.EndsWith(": problem ft happened", overCap);   // the last line not logged
        }
        finally
        {
            SelfLog.Disable();
        }
    }

    /// <summary>The overall number of diagnostic lines logged per minute (DiagnosticsLog.MaxLinesPerWindow).</summary>
    const int DiagnosticsCap = 100;

    /// <summary>An exporter that always throws.</summary>
    sealed class BrokenExporter : ITraceExporter
    {
        public string Name => "broken";
        public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("disk full");
        public ValueTask FlushAsync(CancellationToken cancellationToken) => default;
        public ValueTask ShutdownAsync(CancellationToken cancellationToken) => default;
    }

    [Fact]
    public async Task A_failing_exporter_is_reported_in_the_host_log()
    {
        var logs = new RecordingLoggerProvider();
        var builder = Builder();
        builder.Logging.AddProvider(logs);
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new BrokenExporter()));

        using var host = builder.Build();
        await host.StartAsync();
        using (Probe.StartTrace("doomed")) { }
        await Probe.FlushAsync(TimeSpan.FromSeconds(10));
        await host.StopAsync();

        Assert.Contains(logs.In("PandaProbe"), l => l.Message.Contains("disk full"));
        Assert.False(SelfLog.IsEnabled);
    }

    [Fact]
    public async Task LogDiagnostics_false_leaves_SelfLog_alone()
    {
        var builder = Builder();
        builder.Services.AddPandaProbe("PandaProbe", o => Hermetic(o, new InMemoryTraceExporter()));
        builder.Services.Configure<PandaProbeHostingOptions>(o => o.LogDiagnostics = false);

        using var host = builder.Build();
        await host.StartAsync();
        Assert.False(SelfLog.IsEnabled);
        await host.StopAsync();
    }

    [Fact]
    public void AddPandaProbe_rejects_an_empty_section_name()
    {
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddPandaProbe(" "));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddPandaProbe((string)null!));
    }
}
