using PandaProbe.Exporters;
using Xunit;

namespace PandaProbe.Unit.Support;

/// <summary>
/// Every test that touches the static <see cref="Probe"/> (its default client, <see cref="SelfLog"/>) belongs to this
/// collection: it never runs in parallel with any other test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProbeCollection
{
    public const string Name = "Probe";
}

/// <summary>
/// Tests that measure the whole process (its managed heap) belong to this collection: they never run in parallel with
/// any other test, whose allocations would be counted as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeProcessCollection
{
    public const string Name = "WholeProcess";
}

/// <summary>
/// Installs a hermetic default client for one test and puts a disabled one back when disposed (after draining the
/// test's client), so no test leaves <see cref="Probe"/> recording or writing files.
/// </summary>
public sealed class ProbeScope : IAsyncDisposable
{
    ProbeScope(PandaProbeClient client) => Client = client;

    /// <summary>The client installed as <see cref="Probe.Client"/>.</summary>
    public PandaProbeClient Client { get; }

    /// <summary>Installs a client exporting to <paramref name="exporters"/> as the default client.</summary>
    public static ProbeScope Install(params ITraceExporter[] exporters)
    {
        var options = new PandaProbeOptions { EnvironmentVariables = TestClient.NoEnvironment, RegisterProcessExitHandler = false };
        foreach (var e in exporters) options.Exporters.Add(e);
        return new ProbeScope(Probe.Init(options));
    }

    /// <summary>Options for a disabled, hermetic default client.</summary>
    public static PandaProbeOptions DisabledOptions => new()
    {
        Enabled = false, EnvironmentVariables = TestClient.NoEnvironment, RegisterProcessExitHandler = false,
    };

    public async ValueTask DisposeAsync()
    {
        Probe.Init(DisabledOptions);
        await Client.ShutdownAsync(TimeSpan.FromSeconds(10));
    }
}
