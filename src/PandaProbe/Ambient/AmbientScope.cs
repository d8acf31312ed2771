namespace PandaProbe.Ambient;

/// <summary>
/// The ambient stack of open traces and spans for the current async flow: an immutable linked list held in an
/// <see cref="AsyncLocal{T}"/> (Serilog's LogContext design), whose nodes are the trace and span contexts themselves.
/// Each flow sees its own stack, and ending a scope never changes another flow's view.
/// </summary>
/// <remarks>
/// Every write to an <see cref="AsyncLocal{T}"/> allocates a new execution context, so scopes are popped lazily: ending
/// a scope only marks it ended, readers skip ended scopes, and the next push in the flow drops the ended scopes on top
/// of the stack. A trace with one span thus writes the slot twice instead of four times.
/// </remarks>
internal static class AmbientScope
{
    static readonly AsyncLocal<object?> Slot = new();

    /// <summary>The entry under <paramref name="scope"/> (a trace or span context) in the flow where it was pushed.</summary>
    static object? Next(object scope) => scope switch
    {
        SpanContext s => s.AmbientNext,
        TraceContext t => t.AmbientNext,
        _ => null,
    };

    static bool IsEnded(object scope) => scope switch
    {
        SpanContext s => s.IsEnded,
        TraceContext t => t.IsEnded,
        _ => true,
    };

    /// <summary>
    /// Pushes a scope over the open part of the current flow's stack and returns the entry it covers, which the caller
    /// stores as its <c>AmbientNext</c> (set once, before the scope is visible).
    /// </summary>
    public static object? Push(object scope)
    {
        var top = Slot.Value;
        while (top is not null && IsEnded(top)) top = Next(top);
        Slot.Value = scope;
        return top;
    }

    /// <summary>The innermost open span of <paramref name="trace"/> in the current flow.</summary>
    public static SpanContext? InnermostSpan(TraceContext trace)
    {
        for (var n = Slot.Value; n is not null; n = Next(n))
            if (n is SpanContext s && ReferenceEquals(s.Trace, trace) && !s.IsEnded) return s;
        return null;
    }

    /// <summary>The innermost open span of any trace in the current flow.</summary>
    public static SpanContext? InnermostSpan()
    {
        for (var n = Slot.Value; n is not null; n = Next(n))
            if (n is SpanContext s && !s.IsEnded) return s;
        return null;
    }

    /// <summary>The innermost open trace in the current flow (of <paramref name="client"/> only, when given).</summary>
    public static TraceContext? InnermostTrace(PandaProbeClient? client = null)
    {
        for (var n = Slot.Value; n is not null; n = Next(n))
            if (n is TraceContext t && !t.IsEnded && (client is null || ReferenceEquals(t.Client, client))) return t;
        return null;
    }
}
