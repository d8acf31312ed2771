using System.CommandLine;
using System.Diagnostics;
using PandaProbe.Cli.Files;
using PandaProbe.Cli.View;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe view FILE… [-o report.html] [--open]</c>: one self-contained HTML report of the traces (a sortable,
/// filterable list, each trace's span waterfall and a detail pane per span). Exit codes: 0 written, 1 written but
/// some lines were bad (reported on the error output), 2 usage error or missing file.
/// </summary>
internal static class ViewCommand
{
    /// <summary>The report's file name when <c>-o</c> is not given (next to the first file).</summary>
    public const string DefaultName = "pandaprobe-report.html";

    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "Trace files the SDK wrote (the file exporter's JSON Lines or TraceRecord.Save's NDJSON).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--output", "-o") { Description = $"Where to write the report (default: {DefaultName} next to the first file)." };
        var open = new Option<bool>("--open") { Description = "Open the report with the system's browser." };
        var command = new Command("view", "Write a self-contained HTML report of trace files (list, waterfall, span details).")
        {
            files, output, open,
        };
        command.SetAction(r => Run(io, r.GetValue(files) ?? [], r.GetValue(output), r.GetValue(open)));
        return command;
    }

    static int Run(CliIO io, string[] files, string? output, bool open)
    {
        // A mistyped option lands among the files (the argument takes any number of values).
        if (files.FirstOrDefault(f => f.Length > 1 && f[0] == '-' && !File.Exists(f)) is { } unknown)
        {
            io.Error.WriteLine($"pandaprobe view: unrecognized option: {unknown} (usage: pandaprobe view FILE… [-o report.html] [--open])");
            return CommandSupport.Unusable;
        }
        if (!files.All(f => CommandSupport.CheckExists(io, "view", f))) return CommandSupport.Unusable;
        var target = output is { Length: > 0 } o
            ? Path.GetFullPath(o)
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(files[0])) ?? Directory.GetCurrentDirectory(), DefaultName);

        TraceCollection all;
        try { all = TraceCollection.Load(files); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"pandaprobe view: cannot read: {e.Message}");
            return CommandSupport.Unusable;
        }
        foreach (var (file, bad) in all.Problems) CommandSupport.Report(io, file, bad);

        try { HtmlReport.Write(target, all.Traces, files.Select(Path.GetFileName).OfType<string>().ToArray()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"pandaprobe view: cannot write {target}: {e.Message}");
            return CommandSupport.Unusable;
        }
        var bads = all.Problems.Count;
        io.Out.WriteLine($"Wrote {target} ({all.Traces.Count} trace{(all.Traces.Count == 1 ? "" : "s")}" +
            (bads > 0 ? $"; {bads} bad line{(bads == 1 ? "" : "s")} skipped" : "") + ")");
        if (open) Open(target, io);
        return bads > 0 ? CommandSupport.Problems : CommandSupport.Ok;
    }

    /// <summary>Opens <paramref name="path"/> with the system's opener; a missing opener is a note, not a failure.</summary>
    static void Open(string path, CliIO io)
    {
        try
        {
            var start = OperatingSystem.IsWindows() ? new ProcessStartInfo(path) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", [path]) { UseShellExecute = false };
            using var process = Process.Start(start);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            io.Error.WriteLine($"pandaprobe view: could not open the report ({e.Message}); open {path} in a browser");
        }
    }
}
