using System.CommandLine;

namespace PandaProbe.Cli;

/// <summary>The <c>pandaprobe</c> tool: one subcommand per task on the trace files the SDK writes.</summary>
internal static class Program
{
    static Task<int> Main(string[] args) => RunAsync(args, CliIO.FromConsole());

    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="io"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliIO io, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("PandaProbe: look at, check and send the trace files the PandaProbe SDK writes.")
        {
            Commands.ViewCommand.Create(io),
            Commands.TreeCommand.Create(io),
            Commands.SummaryCommand.Create(io),
            Commands.TailCommand.Create(io),
            Commands.ValidateCommand.Create(io),
            Commands.PushCommand.Create(io),
        };
        var parsed = root.Parse(args);
        return parsed.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error }, cancellationToken);
    }
}
