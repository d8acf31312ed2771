using System.Collections;
using System.Runtime.CompilerServices;

namespace PandaProbe.Tests.Shared;

/// <summary>
/// Like the Python suite's autouse fixture: every PANDAPROBE_* variable of the process is cleared when the test
/// assembly loads (this file is compiled into every test assembly), so no test can read a developer's real key or reach
/// the real platform. Tests that need a setting pass it through <c>PandaProbeOptions.EnvironmentVariables</c> or
/// options. The user's local application data (where the platform exporter's spool lives by default) is pointed at a
/// directory of this test process, so no test writes to, or replays from, the developer's real spool.
/// </summary>
static class HermeticEnvironment
{
    /// <summary>The local application data of this test process.</summary>
    internal static string LocalData { get; } =
        Path.Combine(Path.GetTempPath(), "pandaprobe-tests", $"{Environment.ProcessId}-{Guid.NewGuid():N}");

    [ModuleInitializer]
    internal static void ClearPandaProbeVariables()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string name && name.StartsWith("PANDAPROBE_", StringComparison.Ordinal))
                Environment.SetEnvironmentVariable(name, null);
        Directory.CreateDirectory(LocalData);
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", LocalData);
        Environment.SetEnvironmentVariable("LOCALAPPDATA", LocalData);
    }
}
