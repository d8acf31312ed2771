namespace PandaProbe.Ambient;

/// <summary>
/// The ambient stack of open traces and spans for the current async flow: an immutable linked list held in an
/// <see cref="AsyncLocal{T}"/> (Serilog's LogContext design). Each flow sees its own stack, a push returns the
/// bookmark to restore, and ending a scope only ever changes the current flow's view.
/// </summary>
internal static class AmbientScope
{
    static readonly AsyncLocal<Node?> Slot = new();

    /// <summary>One entry: a <see cref="TraceContext"/> or a <see cref="SpanContext"/>, over the rest of the stack.</summary>
    internal sealed class Node(object owner, Node? next)
    {
        public readonly object Owner = owner;
        public readonly Node? Next = next;
        public bool IsEnded => Owner switch
        {
            SpanContext s => !s.IsOpen,
            TraceContext t => !t.IsOpen,
            _ => true,
        };
    }

    /// <summary>The top of the current flow's stack.</summary>
    public static Node? Current => Slot.Value;

    /// <summary>Pushes an owner; returns its node (the bookmark to pop).</summary>
    public static Node Push(object owner)
    {
        var node = new Node(owner, Slot.Value);
        Slot.Value = node;
        return node;
    }

    /// <summary>
    /// Pops <paramref name="node"/> if it is on top of the current flow's stack, along with any ended entries under it.
    /// When it is not on top (ended out of order, or from another flow) nothing changes here: ended entries are skipped
    /// whenever the stack is read.
    /// </summary>
    public static void Pop(Node? node)
    {
        if (node is null || !ReferenceEquals(Slot.Value, node)) return;
        var next = node.Next;
        while (next is not null && next.IsEnded) next = next.Next;
        Slot.Value = next;
    }

    /// <summary>The innermost open span of <paramref name="trace"/> in the current flow.</summary>
    public static SpanContext? InnermostSpan(TraceContext trace)
    {
        for (var n = Slot.Value; n is not null; n = n.Next)
            if (n.Owner is SpanContext s && ReferenceEquals(s.Trace, trace) && s.IsOpen) return s;
        return null;
    }

    /// <summary>The innermost open span of any trace in the current flow.</summary>
    public static SpanContext? InnermostSpan()
    {
        for (var n = Slot.Value; n is not null; n = n.Next)
            if (n.Owner is SpanContext s && s.IsOpen) return s;
        return null;
    }

    /// <summary>The innermost open trace in the current flow (of <paramref name="client"/> only, when given).</summary>
    public static TraceContext? InnermostTrace(PandaProbeClient? client = null)
    {
        for (var n = Slot.Value; n is not null; n = n.Next)
            if (n.Owner is TraceContext t && t.IsOpen && (client is null || ReferenceEquals(t.Client, client))) return t;
        return null;
    }
}
