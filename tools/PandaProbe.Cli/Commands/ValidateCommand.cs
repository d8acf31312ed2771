using System.CommandLine;

namespace PandaProbe.Cli.Commands;

/// <summary><c>pandaprobe validate</c> (not written yet).</summary>
internal static class ValidateCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var command = new Command("validate", "Not available yet.");
        command.SetAction(_ => { io.Error.WriteLine("pandaprobe validate: not available yet"); return 2; });
        return command;
    }
}
