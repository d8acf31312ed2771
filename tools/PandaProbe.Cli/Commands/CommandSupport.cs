using System.CommandLine;
using System.Globalization;
using PandaProbe.Cli.Files;
using Spectre.Console;

namespace PandaProbe.Cli.Commands;

/// <summary>What the file commands share: the FILE argument, exit codes, bad-line reports and the Spectre console.</summary>
internal static class CommandSupport
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>Some lines or items failed; the rest was processed.</summary>
    public const int Problems = 1;
    /// <summary>The command could not run (missing file, bad configuration).</summary>
    public const int Unusable = 2;

    /// <summary>The trace file argument.</summary>
    public static Argument<string> FileArgument(string description = "A trace file the SDK wrote (JSON Lines or a TraceRecord.Save file).") =>
        new("FILE") { Description = description };

    /// <summary>
    /// <c>true</c> when <paramref name="path"/> exists; otherwise writes a message naming it to
    /// <see cref="CliIO.Error"/>.
    /// </summary>
    public static bool CheckExists(CliIO io, string command, string path)
    {
        if (File.Exists(path)) return true;
        io.Error.WriteLine($"pandaprobe {command}: no such file: {path}");
        return false;
    }

    /// <summary>Writes <c>file:line: reason</c> to <see cref="CliIO.Error"/> (a truncated last line says so in its reason).</summary>
    public static void Report(CliIO io, string path, BadLine bad) => io.Error.WriteLine($"{path}:{bad.Line}: {bad.Reason}");

    /// <summary>A Spectre console writing to <see cref="CliIO.Out"/>.</summary>
    public static IAnsiConsole Console(CliIO io) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(io.Out),
        Ansi = io.Plain ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = io.Plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        Interactive = io.Plain ? InteractionSupport.No : InteractionSupport.Detect,
    });

    /// <summary>Seconds with one decimal (<c>1.2s</c>), or <c>-</c>.</summary>
    public static string Seconds(TimeSpan? duration) =>
        duration is { } d ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "-";

    /// <summary>An integer with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Aligned plain-text columns: the first left-aligned, the others right-aligned, two spaces apart.</summary>
    public static void WritePlainTable(TextWriter output, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}
