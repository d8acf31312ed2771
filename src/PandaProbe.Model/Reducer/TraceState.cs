namespace PandaProbe.Model;

/// <summary>
/// The state of a fold over the events of many traces: every trace that is open or still has open (late) spans. The
/// SDK itself keeps each trace's state in its own atomic cell; this map is the same fold seen whole, as the properties
/// check it.
/// </summary>
/// <param name="Open">Unfinished traces by id.</param>
internal sealed record TraceState(HashMap<TraceId, OpenTrace> Open)
{
    /// <summary>The state before any event.</summary>
    public static TraceState Empty { get; } = new(HashMap<TraceId, OpenTrace>());

    /// <summary>The open trace with this id, if any.</summary>
    public Option<OpenTrace> Find(TraceId id) => Open.Find(id);

    /// <summary>A state where <paramref name="id"/> holds <paramref name="trace"/>, or is absent when it is null.</summary>
    public TraceState With(TraceId id, OpenTrace? trace) =>
        trace is null
            ? Open.ContainsKey(id) ? new TraceState(Open.Remove(id)) : this
            : new TraceState(Open.AddOrUpdate(id, trace));
}
