using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe tail</c> (not written yet).</summary>
internal static class TailCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("tail", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe tail: not available yet"); return 2; });
        return command;
    }
}
