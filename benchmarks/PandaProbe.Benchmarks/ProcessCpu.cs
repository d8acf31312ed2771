using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PandaProbe.Benchmarks;

/// <summary>
/// The CPU time the whole process has used (every thread: callers, background exporters, timers, the thread pool and
/// the garbage collector). On Linux it is read with <c>clock_gettime(CLOCK_PROCESS_CPUTIME_ID)</c>, in nanoseconds:
/// the same quantity as <see cref="Process.TotalProcessorTime"/>, which .NET reads from <c>/proc</c> in 10 ms clock
/// ticks, too coarse for a window in which a few hundred traces cost a few milliseconds in all.
/// </summary>
public static class ProcessCpu
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    const int ClockProcessCpuTimeId = 2;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec time);

    static readonly bool Precise = OperatingSystem.IsLinux() && Probe();

    static bool Probe()
    {
        try { return ClockGetTime(ClockProcessCpuTimeId, out _) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    /// <summary>Where the figure comes from, for the report.</summary>
    public static string Source => Precise ? "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)" : "Process.TotalProcessorTime";

    /// <summary>
    /// Each thread's CPU time so far, by thread id, with its name (Linux: <c>/proc/self/task/*/schedstat</c>, in
    /// nanoseconds); empty elsewhere. For telling which threads used the CPU in a window.
    /// </summary>
    public static Dictionary<string, (string Name, long Nanoseconds)> Threads()
    {
        var result = new Dictionary<string, (string, long)>();
        if (!OperatingSystem.IsLinux()) return result;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var ns = long.Parse(File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    result[Path.GetFileName(dir)] = (File.ReadAllText(Path.Combine(dir, "comm")).Trim(), ns);
                }
                catch (IOException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return result;
    }

    /// <summary>The threads that used the most CPU between two <see cref="Threads"/> readings, as text.</summary>
    public static string Busiest(Dictionary<string, (string Name, long Nanoseconds)> before, Dictionary<string, (string Name, long Nanoseconds)> after, int top = 4) =>
        string.Join(", ", after
            .Select(kv => (kv.Value.Name, Us: (kv.Value.Nanoseconds - (before.TryGetValue(kv.Key, out var b) ? b.Nanoseconds : 0)) / 1000.0))
            .Where(x => x.Us >= 100).OrderByDescending(x => x.Us).Take(top)
            .Select(x => $"{x.Name} {x.Us / 1000:N2} ms"));

    /// <summary>The CPU used between two <see cref="Threads"/> readings by the threads whose name starts with <paramref name="prefix"/>.</summary>
    public static double UsedBy(Dictionary<string, (string Name, long Nanoseconds)> before, Dictionary<string, (string Name, long Nanoseconds)> after, string prefix) =>
        after.Where(kv => kv.Value.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Sum(kv => (kv.Value.Nanoseconds - (before.TryGetValue(kv.Key, out var b) ? b.Nanoseconds : 0)) / 1000.0);

    /// <summary>The process's CPU time so far.</summary>
    public static TimeSpan Now()
    {
        if (Precise && ClockGetTime(ClockProcessCpuTimeId, out var t) == 0)
            return TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100);
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }
}
