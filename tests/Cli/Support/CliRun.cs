using System.CommandLine;

namespace PandaProbe.Cli.Tests.Support;

/// <summary>Runs the tool in-process with string writers.</summary>
internal static class CliRun
{
    public sealed record Result(int Exit, string Out, string Error);

    public static async Task<Result> RunAsync(params string[] args) => await RunAsync(plain: true, args);

    public static async Task<Result> RunAsync(bool plain, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await Program.RunAsync(args, new CliIO(output, error, plain));
        return new Result(exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs one command (built by <paramref name="create"/>) under a root, like <see cref="Program.RunAsync"/>.</summary>
    public static async Task<Result> RunCommandAsync(Func<CliIO, Command> create, string[] args, bool plain = true, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var io = new CliIO(output, error, plain);
        var exit = await Program.RunAsync(new RootCommand("test") { create(io) }, args, io, ct);
        return new Result(exit, output.ToString(), error.ToString());
    }
}
