using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe push</c> (not written yet).</summary>
internal static class PushCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("push", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe push: not available yet"); return 2; });
        return command;
    }
}
