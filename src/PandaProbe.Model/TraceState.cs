namespace PandaProbe.Model;

/// <summary>The reducer's state: every trace that is open or still has open (late) spans.</summary>
/// <remarks>
/// Events of one trace usually arrive in bursts, so the state keeps the trace touched last beside the map (a focus,
/// as in a zipper), as plain parts: consecutive events of that trace build one new state each, without copying a path
/// of the map or allocating an <see cref="OpenTrace"/>. The map may still hold an older value under the focused id;
/// the focus wins. Equality is by content (<see cref="Open"/>).
/// </remarks>
public sealed record TraceState
{
    readonly HashMap<TraceId, OpenTrace> rest;
    readonly OpenParts hot;   // the focused trace when hot.Head is not null; its id is hot.Head.Id

    /// <summary>A state holding exactly the traces of <paramref name="open"/>.</summary>
    /// <param name="open">Unfinished traces by id.</param>
    public TraceState(HashMap<TraceId, OpenTrace> open) => rest = open;

    TraceState(HashMap<TraceId, OpenTrace> rest, OpenParts hot)
    {
        this.rest = rest;
        this.hot = hot;
    }

    /// <summary>The state before any event.</summary>
    public static TraceState Empty { get; } = new(HashMap<TraceId, OpenTrace>());

    bool HasFocus => hot.Head is not null;

    bool InFocus(TraceId id) => hot.Head is { } head && head.Id == id;

    /// <summary>Unfinished traces by id (built when read if a trace is in focus).</summary>
    public HashMap<TraceId, OpenTrace> Open => HasFocus ? rest.AddOrUpdate(hot.Head.Id, new OpenTrace(hot)) : rest;

    /// <summary>The number of unfinished traces.</summary>
    public int Count => !HasFocus || rest.ContainsKey(hot.Head.Id) ? rest.Count : rest.Count + 1;

    /// <summary><c>true</c> when a trace with this id is unfinished.</summary>
    public bool ContainsKey(TraceId id) => InFocus(id) || rest.ContainsKey(id);

    /// <summary>The open trace with this id, if any.</summary>
    public Option<OpenTrace> Find(TraceId id) => InFocus(id) ? Some(new OpenTrace(hot)) : rest.Find(id);

    /// <summary>The open trace with this id as parts (the reducer's lookup: the focus first, no allocation).</summary>
    internal bool TryFind(TraceId id, out OpenParts open)
    {
        if (InFocus(id))
        {
            open = hot;
            return true;
        }
        var found = rest.Find(id).IfNoneUnsafe(default(OpenTrace)!);
        open = found is null ? default : found.Parts;
        return found is not null;
    }

    /// <summary>A state where <paramref name="id"/> holds <paramref name="open"/> (added or replaced), in focus.</summary>
    /// <remarks><paramref name="open"/> must be the trace with id <paramref name="id"/> (the reducer's case).</remarks>
    internal TraceState Set(TraceId id, OpenParts open) =>
        !HasFocus || hot.Head.Id == id
            ? new TraceState(rest, open)
            : new TraceState(rest.AddOrUpdate(hot.Head.Id, new OpenTrace(hot)), open);

    /// <summary>A state without <paramref name="id"/>.</summary>
    internal TraceState Remove(TraceId id)
    {
        var map = rest.ContainsKey(id) ? rest.Remove(id) : rest;
        return InFocus(id) ? new TraceState(map) : new TraceState(map, hot);
    }

    /// <summary>Equal when both states hold the same traces.</summary>
    public bool Equals(TraceState? other) =>
        ReferenceEquals(this, other) || other is not null && Open.Equals(other.Open);

    /// <inheritdoc />
    public override int GetHashCode() => Open.GetHashCode();
}
