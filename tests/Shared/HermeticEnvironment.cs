using System.Collections;
using System.Runtime.CompilerServices;

namespace PandaProbe.Tests.Shared;

/// <summary>
/// Like the Python suite's autouse fixture: every PANDAPROBE_* variable of the process is cleared when the test
/// assembly loads (this file is compiled into every test assembly), so no test can read a developer's real key or reach the real platform. Tests that need a setting
/// pass it through <c>PandaProbeOptions.EnvironmentVariables</c> or options.
/// </summary>
static class HermeticEnvironment
{
    [ModuleInitializer]
    internal static void ClearPandaProbeVariables()
    {
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string name && name.StartsWith("PANDAPROBE_", StringComparison.Ordinal))
                Environment.SetEnvironmentVariable(name, null);
    }
}
