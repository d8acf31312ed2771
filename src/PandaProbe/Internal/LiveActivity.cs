using System.Diagnostics;
using PandaProbe.Exporters;
using PandaProbe.Model;

namespace PandaProbe.Internal;

/// <summary>
/// The live OpenTelemetry activity of an open trace or span, started on the caller's thread only while someone listens
/// to the <see cref="Probe.ActivitySourceName"/> source: current inside its scope (so an <c>HttpClient</c> call made in
/// a span carries a <c>traceparent</c> whose parent is that span), stopped at its end with the tags of
/// <see cref="ActivityProjection"/> (without input and output, which are redacted only on the export side). With no
/// listener nothing is allocated: a trace or span holds a null reference.
/// </summary>
internal sealed class LiveActivity
{
    /// <summary>The source of live activities, stamped with the semantic conventions version of its tags.</summary>
    internal static readonly ActivitySource Source = ActivityProjection.NewSource(Probe.ActivitySourceName);

    readonly Activity? previous;   // the flow's current activity when this one started

    LiveActivity(Activity activity, Activity? previous)
    {
        Activity = activity;
        this.previous = previous;
    }

    /// <summary>The activity.</summary>
    public Activity Activity { get; }

    /// <summary>
    /// Starts a trace's activity: a child of <paramref name="parentContext"/> when given (a propagated context), else
    /// of the flow's current activity. Null when nobody listens or the listeners' sampler declines.
    /// </summary>
    public static LiveActivity? StartTrace(string name, ActivityContext parentContext)
    {
        var previous = Activity.Current;
        try
        {
            var activity = parentContext == default
                ? Source.StartActivity(name, ActivityKind.Internal)
                : Source.StartActivity(name, ActivityKind.Internal, parentContext);
            return Usable(activity, previous);
        }
        catch (Exception ex)
        {
            // A listener's sampler or start callback threw: the trace is recorded without its activity.
            SelfLog.Write($"live activity '{name}': a listener threw: {ex.Message}");
            Activity.Current = previous;
            return null;
        }
    }

    /// <summary>
    /// Starts a span's activity under <paramref name="parent"/>; current in this flow only when
    /// <paramref name="makeCurrent"/>. Null when nobody listens or the sampler declines.
    /// </summary>
    public static LiveActivity? StartSpan(string name, SpanType kind, string? model, Activity parent, bool makeCurrent)
    {
        var previous = Activity.Current;
        var operation = ActivityProjection.Operation(kind);
        List<KeyValuePair<string, object?>>? tags = null;
        if (operation is not null || model is not null)
        {
            tags = new(2);
            if (operation is not null) tags.Add(new("gen_ai.operation.name", operation));
            if (model is not null) tags.Add(new("gen_ai.request.model", model));
        }
        try
        {
            // The parent's own object when it is current (the usual nesting), else its context (an explicit parent).
            var activity = ReferenceEquals(previous, parent)
                ? Source.StartActivity(ActivityProjection.KindOf(kind), default(ActivityContext), tags, name: name)
                : Source.StartActivity(ActivityProjection.KindOf(kind), parent.Context, tags, name: name);
            var live = Usable(activity, previous);
            if (live is not null && !makeCurrent) Activity.Current = previous;
            return live;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"live activity '{name}': a listener threw: {ex.Message}");
            Activity.Current = previous;
            return null;
        }
    }

    /// <summary>
    /// The started activity, when its ids are W3C ones (the id mapping needs them; a process set to hierarchical ids
    /// gets no live activities); null otherwise, the activity stopped unrecorded.
    /// </summary>
    static LiveActivity? Usable(Activity? activity, Activity? previous)
    {
        if (activity is null) return null;
        var live = new LiveActivity(activity, previous);
        if (activity.IdFormat == ActivityIdFormat.W3C) return live;
        live.Discard();
        return null;
    }

    /// <summary>Marks PandaProbe's <c>tracestate</c> entry (the platform trace, and the span when given) on the activity.</summary>
    public void Mark(TraceId trace, SpanId? span) =>
        // The getter reads the nearest state up the parents (or the propagated context's): other vendors' entries stay.
        Activity.TraceStateString = Propagation.WithEntry(Activity.TraceStateString, Propagation.StateEntry(trace, span));

    /// <summary>Stops the activity with a span's projection, then gives the flow back the activity it had before.</summary>
    public void Stop(Span? span, DateTimeOffset endedAt) =>
        Stop(span, endedAt, static (a, s) =>
        {
            foreach (var tag in ActivityProjection.SpanTags(s, maxPayload: 0)) a.SetTag(tag.Key, tag.Value);
            ActivityProjection.AddEvents(a, s, maxPayload: 0, errorText: false);
        });

    /// <summary>Stops the activity with a trace's projection, then gives the flow back the activity it had before.</summary>
    public void Stop(TraceRecord? trace, DateTimeOffset endedAt) =>
        Stop(trace, endedAt, static (a, t) =>
        {
            foreach (var tag in ActivityProjection.TraceTags(t, maxPayload: 0)) a.SetTag(tag.Key, tag.Value);
            ActivityProjection.AddEvents(a, t, maxPayload: 0, errorText: false);
        });

    void Stop<T>(T? value, DateTimeOffset endedAt, Action<Activity, T> project) where T : class
    {
        try
        {
            if (value is not null && Activity.IsAllDataRequested) project(Activity, value);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"live activity '{Activity.DisplayName}': {ex.Message}");
        }
        End(endedAt);
    }

    /// <summary>Stops the activity without tags (its trace or span was not recorded after all).</summary>
    public void Discard()
    {
        Activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        End(DateTimeOffset.UtcNow);
    }

    void End(DateTimeOffset endedAt)
    {
        var current = Activity.Current;
        try
        {
            var end = endedAt.UtcDateTime;
            if (end <= Activity.StartTimeUtc) end = Activity.StartTimeUtc.AddTicks(1);
            Activity.SetEndTime(end);
            Activity.Stop();
        }
        catch (Exception ex)
        {
            SelfLog.Write($"live activity '{Activity.DisplayName}': {ex.Message}");
        }
        // The flow gets back what it had: the activity before this one when this one was current, else what was current;
        // never a stopped one (an outer scope that ended first), but its nearest running ancestor.
        var back = ReferenceEquals(current, Activity) ? previous : current;
        while (back is { IsStopped: true }) back = back.Parent;
        Activity.Current = back;
    }
}
