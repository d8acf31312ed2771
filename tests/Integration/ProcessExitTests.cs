using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// The Python SDK's "process exiting without flush" test, in .NET: a child process records traces and returns from
/// Main without flushing or shutting down; the process-exit hook must deliver every trace (bounded by the shutdown
/// deadline) and the process must exit cleanly.
/// </summary>
public class ProcessExitTests
{
    [Fact]
    public async Task Traces_recorded_before_the_process_exits_without_a_flush_are_delivered_by_the_exit_hook()
    {
        var probe = Support.ExitProbe.Path();
        var dir = Directory.CreateTempSubdirectory("pandaprobe-exit-");
        var file = Path.Combine(dir.FullName, "traces.jsonl");
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(probe);
            start.ArgumentList.Add(file);
            start.ArgumentList.Add("3");
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PANDAPROBE_", StringComparison.Ordinal)).ToList())
                start.Environment.Remove(key);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(deadline.Token);

            Assert.Equal(0, process.ExitCode);
            Assert.Contains("recorded", await stdout);
            var lines = File.ReadAllLines(file);
            Assert.Equal(3, lines.Length);
            var names = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()).Order().ToArray();
            Assert.Equal(new[] { "exit-trace-0", "exit-trace-1", "exit-trace-2" }, names);
            Assert.DoesNotContain("Exception", await stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
