namespace PandaProbe.Model;

/// <summary>The reducer's state: every trace that is open or still has open (late) spans.</summary>
/// <param name="Open">Unfinished traces by id.</param>
public sealed record TraceState(HashMap<TraceId, OpenTrace> Open)
{
    /// <summary>The state before any event.</summary>
    public static TraceState Empty { get; } = new(HashMap<TraceId, OpenTrace>());

    /// <summary>The open trace with this id, if any.</summary>
    public Option<OpenTrace> Find(TraceId id) => Open.Find(id);
}
