namespace PandaProbe.Decorators;

/// <summary>
/// One decorated call being recorded: its span, and the trace of its own when no trace was open. Every member is
/// safe to call whatever happened before (a span that could not start records nothing) and never throws.
/// </summary>
internal sealed class Invocation(MethodPlan plan, PandaProbeClient? client, Dictionary<string, object?>? input)
{
    TraceContext? own;
    SpanContext? span;
    int ended;

    /// <summary>The plan of the method called.</summary>
    public MethodPlan Plan => plan;

    /// <summary>Whether a call of a proxy for <paramref name="client"/> is recorded at all: a trace is open, or the client would start one.</summary>
    public static bool IsActive(PandaProbeClient? client) =>
        Probe.CurrentTrace is { IsRecording: true } || (client ?? Probe.Client).IsEnabled;

    /// <summary>Another recording of the same call (an enumeration of a returned stream is one each).</summary>
    public Invocation Again() => new(plan, client, input);

    /// <summary>
    /// Starts the span, in the trace open in this flow or in a trace of its own, and makes it current in this flow.
    /// </summary>
    public void Start()
    {
        try
        {
            var trace = Probe.CurrentTrace;
            object? captured = input;
            if (trace is not { IsRecording: true })
            {
                var owner = client ?? Probe.Client;
                if (!owner.IsEnabled) return;
                // Serialized once for both the trace and the span (a captured payload passes through as it is).
                if (input is not null) captured = owner.Capture(input);
                own = owner.StartTrace(plan.Name, input: captured);
                trace = own;
            }
            span = trace.Span(plan.Name, plan.Kind);
            if (captured is not null) span.SetInput(captured);
        }
        catch (Exception e)
        {
            SelfLog.Write($"decorated call '{plan.Name}' could not start its span: {e.Message}");
        }
    }

    /// <summary>Sets span metadata (no-op when nothing is recorded).</summary>
    public void SetMetadata(IReadOnlyDictionary<string, object?> metadata)
    {
        try { span?.SetMetadata(metadata); }
        catch (Exception e) { SelfLog.Write($"decorated call '{plan.Name}': {e.Message}"); }
    }

    /// <summary>Records what a call produced before it failed (a stream's items so far), when the plan captures the output.</summary>
    public void SetPartialOutput(object? output)
    {
        if (!plan.CaptureOutput || Volatile.Read(ref ended) != 0) return;
        try
        {
            var once = own?.Client is { } owner ? owner.Capture(output) : output;   // serialized once for span and trace
            span?.SetOutput(once);
            own?.SetOutput(once);
        }
        catch (Exception e)
        {
            SelfLog.Write($"decorated call '{plan.Name}' could not record its output: {e.Message}");
        }
    }

    /// <summary>Ends the call as a success, with <paramref name="output"/> when <paramref name="hasOutput"/> and the plan captures it.</summary>
    public void Succeed(object? output, bool hasOutput)
    {
        if (Interlocked.Exchange(ref ended, 1) != 0) return;
        try
        {
            if (hasOutput && plan.CaptureOutput)
            {
                var value = MethodPlan.Capturable(output);
                if (own?.Client is { } owner) value = owner.Capture(value);   // serialized once for span and trace
                span?.SetOutput(value);
                own?.SetOutput(value);
            }
            span?.End();
            own?.End();
        }
        catch (Exception e)
        {
            SelfLog.Write($"decorated call '{plan.Name}' could not record its result: {e.Message}");
        }
    }

    /// <summary>
    /// Ends the call as failed with <paramref name="exception"/> (recorded on the span and the own trace) and returns
    /// <c>false</c>, for an exception filter that records without catching.
    /// </summary>
    public bool Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref ended, 1) != 0) return false;
        try
        {
            span?.Fail(exception);
            own?.Fail(exception);
            span?.End();
            own?.End();
        }
        catch (Exception e)
        {
            SelfLog.Write($"decorated call '{plan.Name}' could not record its failure: {e.Message}");
        }
        return false;
    }

    /// <summary>Starts the span and fails it at once (a call that threw before it could be observed); returns <c>false</c>.</summary>
    public bool StartAndFail(Exception exception)
    {
        Start();
        return Fail(exception);
    }
}
