using PandaProbe.Model.Summary;
using PandaProbe.Serialization;

namespace PandaProbe;

/// <summary>The finished trace: its value, summary, span tree, JSON and NDJSON file.</summary>
public sealed partial class TraceContext
{
    /// <summary>
    /// The trace as the exporters receive it (enriched, with every span that ended before it) once it has ended;
    /// <c>null</c> while it is open or when not recording. Never waits: every event was folded on the thread that
    /// raised it, so the value is complete as soon as <see cref="End"/> returns.
    /// </summary>
    public TraceRecord? Completed => cell?.Completed is { } done && client is not null ? client.Enrich(done) : null;

    /// <summary>
    /// The trace's platform body as JSON (<see cref="TraceExtensions.ToJson"/> of <see cref="Completed"/>). Never
    /// waits; while the trace is open only what the facade knows is described: id, name, start and status
    /// <c>RUNNING</c>.
    /// </summary>
    /// <param name="indented">Pretty-print the JSON.</param>
    public string ToJson(bool indented = false) => Describe().ToJson(indented);

    /// <summary>
    /// Writes the trace as NDJSON to <paramref name="path"/> (<see cref="TraceExtensions.Save"/> of
    /// <see cref="Completed"/>). Never throws: a failure is reported to <see cref="SelfLog"/> and returned as
    /// <c>false</c>.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public bool Save(string path) => path is not null && Describe().Save(path);

    /// <summary>
    /// Prints the span tree (<see cref="TraceExtensions.RenderTree"/>), with the sub-agent traces this client still
    /// keeps, to <paramref name="writer"/> or standard output. Never throws.
    /// </summary>
    /// <param name="writer">Where to print; <c>null</c> for <see cref="Console.Out"/>.</param>
    public void PrintTree(TextWriter? writer = null)
    {
        try { Describe().PrintTree(writer, Descendants()); }
        catch (Exception ex) { SelfLog.Write($"printing trace '{Name}' failed: {ex.Message}"); }
    }

    /// <summary>
    /// Aggregated statistics (<see cref="TraceExtensions.Summary"/>), with costs rolled up over the sub-agent traces
    /// this client still keeps. Never waits.
    /// </summary>
    public TraceSummary Summary() => Describe().Summary(Descendants());

    /// <summary>The completed trace as the exporters receive it (enriched), otherwise what the facade knows.</summary>
    TraceRecord Describe() => Completed ?? Sketch();

    /// <summary>The completed sub-agent traces below this one that the client still keeps, enriched.</summary>
    IReadOnlyList<TraceRecord> Descendants() =>
        client?.Archive?.Descendants(id).Select(client.Enrich).ToArray() ?? [];

    TraceRecord Sketch() => new()
    {
        Id = id,
        Name = string.IsNullOrEmpty(Name) ? "trace" : Name,
        StartedAt = StartedAt,
        ParentTrace = Parent is { IsRecording: true } p ? p.Id : null,
    };
}
