using System.Diagnostics;
using System.Text.Json.Nodes;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// What the model calls of one ingested tool loop (an <c>orchestrate_tools</c> activity, which carries no messages)
/// saw: the first call's request (the loop's request: the caller's messages and instructions) and the last call's
/// response (the loop's final answer). The ingestion keeps one on the loop's activity; the layers that record a model
/// call inside it (an ingested <c>chat</c> activity, a <see cref="PandaProbeChatClient"/>) find it through the
/// activity's ancestors (<see cref="Around"/>), which also holds across the pulls of a streamed loop. Never throws.
/// </summary>
internal sealed class LoopNotes
{
    /// <summary>The number of loops taking notes now: with none, a model call looks for none.</summary>
    static long open;

    readonly object gate = new();
    object? request;
    object? response;
    int closed;

    LoopNotes() { }

    /// <summary>Starts the notes of a loop (the caller keeps them on the loop's activity and calls <see cref="Close"/> at its end).</summary>
    public static LoopNotes Begin()
    {
        Interlocked.Increment(ref open);
        return new LoopNotes();
    }

    /// <summary>Ends the notes (idempotent).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref closed, 1) == 0) Interlocked.Decrement(ref open);
    }

    /// <summary>
    /// The notes of the tool loop a model call running under <paramref name="activity"/> belongs to: the nearest
    /// ingested ancestor that is not a model call, when it is a loop; <c>null</c> otherwise (a model call inside a
    /// tool or an agent run belongs to them, not to the loop around them).
    /// </summary>
    public static LoopNotes? Around(Activity? activity)
    {
        try
        {
            if (Interlocked.Read(ref open) == 0) return null;
            return GenAiActivityIngestion.LoopAround(activity);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"tool loop notes: {ex.Message}");
            return null;
        }
    }

    /// <summary><c>true</c> once a request is noted (later calls need not build theirs).</summary>
    public bool HasRequest
    {
        get { lock (gate) return request is not null; }
    }

    /// <summary>Notes a model call's request (messages form); the first one is kept.</summary>
    public void Request(object? messages)
    {
        if (messages is null) return;
        lock (gate) request ??= messages;
    }

    /// <summary>Notes a model call's response (messages form); the last one is kept.</summary>
    public void Response(object? messages)
    {
        if (messages is null) return;
        lock (gate) response = messages;
    }

    /// <summary>The loop's request: the first model call's messages, or <c>null</c>.</summary>
    public object? LoopRequest
    {
        get { lock (gate) return request; }
    }

    /// <summary>The loop's final response: the last model call's messages, or <c>null</c>.</summary>
    public object? LoopResponse
    {
        get { lock (gate) return response; }
    }

    /// <summary>The last assistant message of <paramref name="messages"/> (in messages form: chat messages, a tree, or a captured payload), else all of them.</summary>
    public static object? FinalAnswer(object? messages) => messages switch
    {
        ChatMessages form => form.LastWithRole("assistant") ?? (object)form,
        JsonObject form => ChatTelemetry.LastWithRole(form, "assistant") ?? (object)form,
        Payload form => ChatTelemetry.LastWithRole(form, "assistant") ?? (object)form,
        _ => messages,
    };
}
