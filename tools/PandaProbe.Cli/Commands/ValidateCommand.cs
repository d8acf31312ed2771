using System.CommandLine;
using PandaProbe.Cli.Files;
using PandaProbe.Model;
using PandaProbe.Model.Delivery;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe validate FILE</c>: checks every line against the platform's rules the SDK enforces (a record that
/// parses, with valid kinds and statuses; name and short-text lengths; score rules; span parents that exist; end times
/// not before start times) and prints <c>file:line: problem</c> for each failing line. Exit 0 when valid, 1 otherwise.
/// </summary>
internal static class ValidateCommand
{
    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var file = CommandSupport.FileArgument();
        var command = new Command("validate", "Check every line of a trace file against the platform's rules.") { file };
        command.SetAction(r => Run(io, r.GetValue(file)!));
        return command;
    }

    static int Run(CliIO io, string path)
    {
        if (!CommandSupport.CheckExists(io, "validate", path)) return CommandSupport.Unusable;
        long records = 0;
        var byLine = new SortedDictionary<long, List<string>>();
        var spansOfTrace = new Dictionary<TraceId, HashSet<SpanId>>();
        // Parents are checked at the end: a span's parent may end later and come in a late-spans line.
        var parents = new List<(long Line, string What, TraceId Trace, SpanId Parent)>();
        List<string> At(long line) => byLine.TryGetValue(line, out var list) ? list : byLine[line] = [];

        void Spans(long line, TraceId trace, IEnumerable<Span> spans)
        {
            if (!spansOfTrace.TryGetValue(trace, out var known)) spansOfTrace[trace] = known = [];
            foreach (var span in spans)
            {
                known.Add(span.Id);
                var what = CheckSpan(span, trace, At(line));
                if (span.Parent is { } parent) parents.Add((line, what, trace, parent));
            }
        }

        foreach (var item in TraceFileReader.Read(path))
        {
            switch (item)
            {
                case BadLine bad:
                    At(bad.Line).Add((bad.Truncated ? "truncated last line: " : "") + bad.Reason);
                    break;
                case TraceItem { Trace: var trace }:
                    records++;
                    CheckTrace(trace, At(item.Line));
                    Spans(item.Line, trace.Id, trace.Spans);
                    break;
                case LateSpansItem late:
                    records++;
                    if (!spansOfTrace.ContainsKey(late.Trace))
                        At(item.Line).Add($"late spans for trace {late.Trace}, which is not in the file before them");
                    Spans(item.Line, late.Trace, late.Spans);
                    break;
                case ScoreItem { Score: var score }:
                    records++;
                    if (ClientLimits.Check(score).TryGet(out var problem)) At(item.Line).Add(problem);
                    break;
            }
        }
        foreach (var (line, what, trace, parent) in parents)
            if (!spansOfTrace[trace].Contains(parent)) At(line).Add($"{what}: parent span {parent} is not in trace {trace}");

        long failing = 0, problems = 0;
        foreach (var (line, found) in byLine)
        {
            if (found.Count == 0) continue;
            failing++;
            problems += found.Count;
            foreach (var problem in found) io.Error.WriteLine($"{path}:{line}: {problem}");
        }
        io.Out.WriteLine(failing == 0
            ? $"{path}: valid ({records} record(s))"
            : $"{path}: {failing} failing line(s), {problems} problem(s); {records} record(s) read");
        return failing == 0 ? CommandSupport.Ok : CommandSupport.Problems;
    }

    static void CheckTrace(TraceRecord trace, List<string> found)
    {
        var what = $"trace {trace.Id}";
        Name(trace.Name, what, found);
        ShortText(trace.SessionId, what, "session_id", found);
        ShortText(trace.UserId, what, "user_id", found);
        ShortText(trace.Environment, what, "environment", found);
        ShortText(trace.Release, what, "release", found);
        Times(trace.StartedAt, trace.EndedAt, what, found);
        if (!Enum.IsDefined(trace.Status)) found.Add($"{what}: unknown status {(int)trace.Status}");
    }

    static string CheckSpan(Span span, TraceId trace, List<string> found)
    {
        var what = $"span {span.Id} '{Short(span.Name)}'";
        Name(span.Name, what, found);
        ShortText(span.Model, what, "model", found);
        Times(span.StartedAt, span.EndedAt, what, found);
        if (!Enum.IsDefined(span.Kind)) found.Add($"{what}: unknown kind {(int)span.Kind}");
        if (!Enum.IsDefined(span.Status)) found.Add($"{what}: unknown status {(int)span.Status}");
        if (span.Trace != trace) found.Add($"{what}: belongs to trace {span.Trace}, not {trace}");
        if (span.Parent is { } self && self == span.Id) found.Add($"{what}: is its own parent");
        return what;
    }

    static void Name(string name, string what, List<string> found)
    {
        if (string.IsNullOrWhiteSpace(name)) found.Add($"{what}: the name is empty");
        else if (name.Length > Limits.MaxNameLength) found.Add($"{what}: the name is {name.Length} characters, over the limit of {Limits.MaxNameLength}");
    }

    static void ShortText(string? value, string what, string field, List<string> found)
    {
        if (value is not null && value.Length > Limits.MaxShortTextLength)
            found.Add($"{what}: {field} is {value.Length} characters, over the limit of {Limits.MaxShortTextLength}");
    }

    static void Times(DateTimeOffset started, DateTimeOffset? ended, string what, List<string> found)
    {
        if (ended is { } end && end < started) found.Add($"{what}: ended_at {end:O} is before started_at {started:O}");
    }

    static string Short(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
