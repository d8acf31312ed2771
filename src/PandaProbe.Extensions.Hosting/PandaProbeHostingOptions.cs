namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// How the host shares its PandaProbe client with the rest of the process, set with
/// <c>services.Configure&lt;PandaProbeHostingOptions&gt;(…)</c>. Read when the host starts.
/// </summary>
public sealed class PandaProbeHostingOptions
{
    /// <summary>
    /// Whether the registered client becomes the static <see cref="Probe"/> default while the host runs, so
    /// <c>Probe.StartTrace</c> and integrations given no client send where the host's client sends. The previous
    /// default is restored (not shut down) when the host stops. <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool SetAsDefault { get; set; } = true;

    /// <summary>
    /// Whether the SDK's own diagnostics (<see cref="SelfLog"/>, which is process-wide) go to the host's
    /// <c>ILogger</c>, category <c>PandaProbe</c>, while the host runs; the previous <see cref="SelfLog"/> writer is
    /// put back when the host stops. <value>Default: <c>true</c>.</value>
    /// </summary>
    public bool LogDiagnostics { get; set; } = true;

    /// <summary>
    /// How many lines of one kind of diagnostic are logged per minute (a kind is the line without what varies per item:
    /// quoted names, numbers, and the detail after its first <c>": "</c>, such as an exception's message); the SDK also
    /// logs at most 100 diagnostic lines a minute in all. Lines beyond either limit are counted and reported as one
    /// line per kind when the minute ends (at the next line of that kind, or when the host stops).
    /// <value>Default: 5.</value>
    /// </summary>
    public int MaxRepeatsPerMinute { get; set; } = 5;
}
