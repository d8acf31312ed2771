using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe summary</c> (not written yet).</summary>
internal static class SummaryCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("summary", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe summary: not available yet"); return 2; });
        return command;
    }
}
