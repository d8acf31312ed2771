using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe view</c> (not written yet).</summary>
internal static class ViewCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("view", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe view: not available yet"); return 2; });
        return command;
    }
}
