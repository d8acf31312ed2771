using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The trace a client outside a tool loop opens when no trace is open in the flow, so that the loop's model calls and
/// tool calls land in one trace. Telemetry failures are reported to <see cref="SelfLog"/>, never thrown; the trace
/// ends exactly once.
/// </summary>
internal sealed class LoopTrace : IStreamTelemetry<ChatResponseUpdate>
{
    readonly TraceContext trace;
    readonly List<ChatResponseUpdate> updates = new();
    int finished;

    LoopTrace(TraceContext trace) => this.trace = trace;

    /// <summary>Opens the trace (current in this flow); <c>null</c> when a trace is already open or tracing is off.</summary>
    public static LoopTrace? TryStart(PandaProbeClient? client, string name, IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        try
        {
            if (Probe.CurrentTrace is { IsRecording: true }) return null;
            client ??= Probe.Client;
            if (!client.IsEnabled) return null;
            var input = ChatTelemetry.LastMessageForm(messages, "user");
            var trace = client.StartTrace(name, input: input);
            return trace.IsRecording ? new LoopTrace(trace) : null;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not open a trace for '{name}': {ex.Message}");
            return null;
        }
    }

    /// <summary>Ends the trace with the final assistant message of <paramref name="response"/> as its output.</summary>
    public void Complete(ChatResponse? response, bool incomplete)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        try
        {
            SetOutput(response);
            if (incomplete) trace.SetMetadata(new Dictionary<string, object?> { ["stream_incomplete"] = true });
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the trace output: {ex.Message}"); }
        finally
        {
            try { trace.End(); } catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
        }
    }

    /// <summary>Keeps one streamed update of the loop.</summary>
    public void Observe(ChatResponseUpdate update)
    {
        if (update is null || Volatile.Read(ref finished) != 0) return;
        lock (updates) updates.Add(update);
    }

    /// <summary>Ends a streamed loop with what arrived.</summary>
    public void CompleteStream(bool incomplete) => Complete(Combine(Seen()), incomplete);

    /// <summary>Records <paramref name="exception"/> (and what a stream delivered before it) and ends the trace.</summary>
    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0) return;
        try
        {
            var seen = Seen();
            if (seen.Count > 0) SetOutput(Combine(seen));
            trace.Fail(exception);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record a failure: {ex.Message}"); }
        finally
        {
            try { trace.End(); } catch (Exception ex) { SelfLog.Write($"chat client instrumentation: {ex.Message}"); }
        }
    }

    List<ChatResponseUpdate> Seen()
    {
        lock (updates) return [.. updates];
    }

    void SetOutput(ChatResponse? response)
    {
        if (response is null) return;
        trace.SetOutput(ChatTelemetry.LastMessageForm(response.Messages, "assistant") ?? ChatTelemetry.MessagesForm(response.Messages));
    }

    static ChatResponse? Combine(IReadOnlyList<ChatResponseUpdate> updates)
    {
        try { return updates.Count == 0 ? null : updates.ToChatResponse(); }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not combine the stream: {ex.Message}");
            return null;
        }
    }
}
