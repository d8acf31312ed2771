using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe tree</c> (not written yet).</summary>
internal static class TreeCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("tree", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe tree: not available yet"); return 2; });
        return command;
    }
}
