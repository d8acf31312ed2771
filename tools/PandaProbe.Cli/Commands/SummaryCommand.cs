using System.CommandLine;
using PandaProbe.Cli.Files;
using PandaProbe.Model;
using PandaProbe.Model.Summary;
using Spectre.Console;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe summary FILE [--by model|kind|name|session]</c>: totals and a table grouped by a key, streaming the file
/// (only the per-group aggregates are kept, so a file of any size is summarised in bounded memory).
/// </summary>
internal static class SummaryCommand
{
    /// <summary>The grouping keys.</summary>
    public static readonly string[] Keys = ["model", "kind", "name", "session"];

    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var file = CommandSupport.FileArgument();
        var by = new Option<string>("--by", "-b") { Description = "Group by model, kind (span kind), name (trace name) or session.", DefaultValueFactory = _ => "model" };
        by.AcceptOnlyFromAmong(Keys);
        var command = new Command("summary", "Totals of a trace file, grouped by model, span kind, trace name or session.") { file, by };
        command.SetAction(r => Run(io, r.GetValue(file)!, r.GetValue(by) ?? "model"));
        return command;
    }

    /// <summary>The running sums of one group (or of the whole file).</summary>
    internal sealed class Aggregate
    {
        public long Traces, Spans, Errors, Prompt, Completion;
        public double Cost;
        public TimeSpan Duration;

        public void Add(TraceSummary s, bool countTrace, TimeSpan? duration)
        {
            if (countTrace) Traces++;
            Spans += s.SpanCount;
            Errors += s.ErrorCount;
            Prompt += s.PromptTokens;
            Completion += s.CompletionTokens;
            Cost = Money.Sum([Cost, s.Cost]);
            if (duration is { } d && d > TimeSpan.Zero) Duration += d;
        }
    }

    static int Run(CliIO io, string path, string by)
    {
        if (!CommandSupport.CheckExists(io, "summary", path)) return CommandSupport.Unusable;
        var totals = new Aggregate();
        var groups = new Dictionary<string, Aggregate>(StringComparer.Ordinal);
        // Late spans of a trace follow it closely: remember the group of recent traces (bounded) for name/session.
        var recent = new Dictionary<TraceId, string>();
        var recentOrder = new Queue<TraceId>();
        const int recentLimit = 100_000;
        var bad = 0;

        Aggregate Group(string key)
        {
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = new Aggregate();
            return g;
        }

        // Spans grouped per span key (model, kind): each group is summarised as a trace holding only those spans.
        void AddSpans(TraceId id, IEnumerable<Span> spans, bool countTrace)
        {
            foreach (var g in spans.GroupBy(s => by == "model" ? s.Model ?? "(no model)" : KindName(s.Kind), StringComparer.Ordinal))
            {
                var part = new TraceRecord { Id = id, Name = g.Key, StartedAt = default, Status = TraceStatus.Completed, Spans = g.ToSeq().Strict() };
                var duration = g.Aggregate(TimeSpan.Zero, (sum, s) => sum + (s.Duration is { } d && d > TimeSpan.Zero ? d : TimeSpan.Zero));
                Group(g.Key).Add(TraceSummaries.Of(part), countTrace, duration);
            }
        }

        foreach (var item in TraceFileReader.Read(path))
        {
            switch (item)
            {
                case TraceItem { Trace: var trace }:
                {
                    var summary = TraceSummaries.Of(trace);
                    totals.Add(summary, countTrace: true, trace.Duration);
                    if (by is "model" or "kind") AddSpans(trace.Id, trace.Spans, countTrace: true);
                    else
                    {
                        var key = by == "name" ? trace.Name : trace.SessionId ?? "(no session)";
                        Group(key).Add(summary, countTrace: true, trace.Duration);
                        if (recent.TryAdd(trace.Id, key))
                        {
                            recentOrder.Enqueue(trace.Id);
                            if (recentOrder.Count > recentLimit) recent.Remove(recentOrder.Dequeue());
                        }
                    }
                    break;
                }
                case LateSpansItem late:
                {
                    var part = new TraceRecord { Id = late.Trace, Name = "", StartedAt = default, Status = TraceStatus.Completed, Spans = late.Spans.ToSeq().Strict() };
                    var summary = TraceSummaries.Of(part);
                    totals.Add(summary, countTrace: false, null);
                    if (by is "model" or "kind") AddSpans(late.Trace, late.Spans, countTrace: false);
                    else Group(recent.TryGetValue(late.Trace, out var key) ? key : "(late spans, trace not found)").Add(summary, countTrace: false, null);
                    break;
                }
                case BadLine line:
                    bad++;
                    CommandSupport.Report(io, path, line);
                    break;
            }
        }

        Write(io, path, by, totals, groups, bad);
        return bad > 0 ? CommandSupport.Problems : CommandSupport.Ok;
    }

    static string KindName(SpanType kind) => kind.ToString().ToUpperInvariant();

    static void Write(CliIO io, string path, string by, Aggregate totals, Dictionary<string, Aggregate> groups, int bad)
    {
        var header = new[] { by, "traces", "spans", "errors", "prompt tokens", "completion tokens", "cost", "duration" };
        var rows = groups.OrderByDescending(g => g.Value.Cost).ThenByDescending(g => g.Value.Spans).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Row(g.Key, g.Value)).ToList();
        var totalLine = $"{CommandSupport.Count(totals.Traces)} traces, {CommandSupport.Count(totals.Spans)} spans, " +
                        $"{CommandSupport.Count(totals.Errors)} errors, tokens {CommandSupport.Count(totals.Prompt)} prompt / " +
                        $"{CommandSupport.Count(totals.Completion)} completion, cost {Money.Format(totals.Cost)}, " +
                        $"total duration {CommandSupport.Seconds(totals.Duration)}" +
                        (bad > 0 ? $", {bad} bad line(s)" : "");
        if (io.Plain)
        {
            io.Out.WriteLine($"{path}: {totalLine}");
            io.Out.WriteLine();
            CommandSupport.WritePlainTable(io.Out, header, rows.Append(Row("total", totals)));
            return;
        }
        var console = CommandSupport.Console(io);
        console.MarkupLine($"[bold]{Markup.Escape(path)}[/]: {Markup.Escape(totalLine)}");
        var table = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < header.Length; i++)
        {
            var column = new TableColumn(Markup.Escape(header[i]));
            table.AddColumn(i == 0 ? column : column.RightAligned());
        }
        foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        table.AddRow(Row("total", totals).Select(c => $"[bold]{Markup.Escape(c)}[/]").ToArray());
        console.Write(table);
    }

    static IReadOnlyList<string> Row(string key, Aggregate a) =>
    [
        key, CommandSupport.Count(a.Traces), CommandSupport.Count(a.Spans), CommandSupport.Count(a.Errors),
        CommandSupport.Count(a.Prompt), CommandSupport.Count(a.Completion), Money.Format(a.Cost), CommandSupport.Seconds(a.Duration),
    ];
}
