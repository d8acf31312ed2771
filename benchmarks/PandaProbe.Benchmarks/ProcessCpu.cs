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

    /// <summary>The process's CPU time so far.</summary>
    public static TimeSpan Now()
    {
        if (Precise && ClockGetTime(ClockProcessCpuTimeId, out var t) == 0)
            return TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100);
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }
}
