using PandaProbe.Exporters;

namespace PandaProbe.Unit.Support;

/// <summary>Builds hermetic clients: no environment variables, no process-exit hook, the given exporters.</summary>
public static class TestClient
{
    public static readonly IReadOnlyDictionary<string, string?> NoEnvironment = new Dictionary<string, string?>();

    public static PandaProbeClient Create(params ITraceExporter[] exporters) => Create(o => { }, exporters);

    public static PandaProbeClient Create(Action<PandaProbeOptions> configure, params ITraceExporter[] exporters)
    {
        var options = new PandaProbeOptions { EnvironmentVariables = NoEnvironment, RegisterProcessExitHandler = false };
        foreach (var e in exporters) options.Exporters.Add(e);
        configure(options);
        return new PandaProbeClient(options);
    }
}
