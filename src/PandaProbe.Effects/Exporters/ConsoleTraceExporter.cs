using System.Globalization;
using System.Text;
using PandaProbe.Model.Summary;

namespace PandaProbe.Exporters;

/// <summary>
/// Prints each completed trace as a span tree (the format of <c>TraceExtensions.RenderTree</c>, with the batch's
/// sub-agent runs nested under their parent run), plus one line per group of late spans and per score. For local
/// development; never throws.
/// </summary>
public sealed class ConsoleTraceExporter : ITraceExporter
{
    readonly TextWriter? writer;
    readonly object gate = new();

    /// <summary>Creates an exporter writing to <paramref name="writer"/>, or to <see cref="Console.Out"/> when null.</summary>
    /// <param name="writer">Where to write; <see cref="Console.Out"/> (looked up at each export) when null.</param>
    public ConsoleTraceExporter(TextWriter? writer = null) => this.writer = writer;

    /// <inheritdoc />
    public string Name => "console";

    /// <inheritdoc />
    public ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken)
    {
        if (batch is null || batch.Count == 0) return ValueTask.FromResult(ExportResult.Success(0));
        try
        {
            var text = Format(batch);
            var target = writer ?? Console.Out;
            lock (gate)
            {
                target.Write(text);
                target.Flush();
            }
            return ValueTask.FromResult(ExportResult.Success(batch.Count));
        }
        catch (Exception ex)
        {
            return ValueTask.FromResult(ExportResult.Failure(batch.Count, $"could not write to the console: {ex.Message}"));
        }
    }

    /// <summary>The text printed for a batch.</summary>
    internal static string Format(ExportBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sb = new StringBuilder();
        var traces = batch.Traces.Where(t => t is not null).ToArray();
        var ids = traces.Select(t => t.Id).ToHashSet();
        bool NestedHere(TraceRecord t) => t.ParentTrace is { } p && p != t.Id && ids.Contains(p);
        foreach (var trace in traces.Where(t => !NestedHere(t)))
        {
            var children = traces.Where(c => c.ParentTrace is { } p && p == trace.Id && c.Id != trace.Id).ToArray();
            sb.Append(TraceTree.Render(trace, children));
        }
        foreach (var group in batch.LateSpans.Where(s => s is not null).GroupBy(s => s.Trace))
            sb.Append("— Late spans for trace ").Append(group.Key.ToString()).Append(": ")
              .Append(string.Join(", ", group.Select(s => s.Name))).Append('\n');
        foreach (var score in batch.Scores.Where(s => s is not null))
            sb.Append("— Score ").Append(score.Name).Append(" = ").Append(score.Value)
              .Append(" (").Append(score.DataType.ToString().ToUpper(CultureInfo.InvariantCulture)).Append(") for trace ")
              .Append(score.Trace.ToString()).Append('\n');
        return sb.ToString();
    }
}
