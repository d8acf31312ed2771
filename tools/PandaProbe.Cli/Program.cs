using System.CommandLine;

namespace PandaProbe.Cli;

/// <summary>The <c>pandaprobe</c> tool: one subcommand per task on the trace files the SDK writes.</summary>
internal static class Program
{
    static Task<int> Main(string[] args) => RunAsync(args, CliIO.FromConsole());

    /// <summary>Parses and runs <paramref name="args"/>, writing to <paramref name="io"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliIO io, CancellationToken cancellationToken = default) =>
        RunAsync(new RootCommand("PandaProbe: look at, check and send the trace files the PandaProbe SDK writes.")
        {
            Commands.ViewCommand.Create(io),
            Commands.TreeCommand.Create(io),
            Commands.SummaryCommand.Create(io),
            Commands.TailCommand.Create(io),
            Commands.ValidateCommand.Create(io),
            Commands.PushCommand.Create(io),
        }, args, io, cancellationToken);

    /// <summary>Runs <paramref name="args"/> against <paramref name="root"/>: a usage error of any command exits with 2.</summary>
    internal static Task<int> RunAsync(RootCommand root, string[] args, CliIO io, CancellationToken cancellationToken)
    {
        var parsed = root.Parse(args);
        var asksForHelp = args.Any(a => a is "-h" or "--help" or "-?" or "--version");
        if (parsed.Errors.Count > 0 && !asksForHelp)
        {
            foreach (var error in parsed.Errors) io.Error.WriteLine($"pandaprobe: {error.Message}");
            io.Error.WriteLine("Run 'pandaprobe --help' (or 'pandaprobe COMMAND --help') for usage.");
            return Task.FromResult(Commands.CommandSupport.Unusable);
        }
        return parsed.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error }, cancellationToken);
    }
}
