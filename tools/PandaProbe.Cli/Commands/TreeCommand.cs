using System.CommandLine;
using PandaProbe.Cli.Files;
using PandaProbe.Model;
using PandaProbe.Model.Summary;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe tree FILE [--trace ID]</c>: the span tree of every top-level trace of the file (sub-agent traces nested
/// under their parent), or of the one trace whose id starts with <c>--trace</c>.
/// </summary>
internal static class TreeCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var file = CommandSupport.FileArgument();
        var traceOption = new Option<string?>("--trace", "-t") { Description = "Only the trace with this id (or id prefix)." };
        var command = new Command("tree", "Print the span tree of each trace in a file.") { file, traceOption };
        command.SetAction(r => Run(io, r.GetValue(file)!, r.GetValue(traceOption)));
        return command;
    }

    static int Run(CliIO io, string path, string? traceId)
    {
        if (!CommandSupport.CheckExists(io, "tree", path)) return CommandSupport.Unusable;
        var all = TraceCollection.Load([path]);
        foreach (var (_, bad) in all.Problems) CommandSupport.Report(io, path, bad);

        IReadOnlyList<TraceRecord> roots;
        if (!string.IsNullOrWhiteSpace(traceId))
        {
            var prefix = traceId.Trim();
            var matches = all.Traces.Where(t => t.Id.ToString().StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 0)
            {
                io.Error.WriteLine($"pandaprobe tree: no trace in {path} has an id starting with '{prefix}'");
                return CommandSupport.Problems;
            }
            if (matches.Count > 1)
            {
                io.Error.WriteLine($"pandaprobe tree: '{prefix}' matches {matches.Count} traces: " +
                    string.Join(", ", matches.Take(10).Select(t => $"{t.Id} ({t.Name})")) + (matches.Count > 10 ? ", …" : ""));
                return CommandSupport.Problems;
            }
            roots = matches;
        }
        else
        {
            var ids = all.Traces.Select(t => t.Id).ToHashSet();
            // A sub-agent trace is drawn inside its parent; one whose parent is not in the file stands alone.
            roots = all.Traces.Where(t => t.ParentTrace is not { } p || p == t.Id || !ids.Contains(p)).ToList();
        }

        var first = true;
        foreach (var root in roots)
        {
            if (!first) io.Out.WriteLine();
            first = false;
            io.Out.Write(TraceTree.Render(root, all.Traces));
        }
        if (all.Traces.Count == 0) io.Out.WriteLine($"No traces in {path}.");
        return all.Problems.Count > 0 ? CommandSupport.Problems : CommandSupport.Ok;
    }
}
