using Microsoft.Extensions.AI;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The model calls of a tool loop that only a PandaProbe layer <em>outside</em> it sees
/// (<c>UsePandaProbe().UseFunctionInvocation()</c> with no PandaProbe layer beneath): the
/// <see cref="FunctionInvokingChatClient"/> calls its inner client where no PandaProbe code runs, so each call's LLM span
/// is opened and closed around the tools, which this layer does see (<see cref="ToolTracing"/>): the first call starts
/// with the request, a call ends when the first tool of its iteration starts (its response is then the trailing
/// assistant messages of the loop's history), and the next one starts when the last tool of the iteration has
/// finished; the last one ends with the loop's response. Never throws.
/// </summary>
/// <remarks>
/// <para>Streamed, every call is exact: its updates (text, tool calls, usage, model, finish reason) are the ones the loop
/// yields between two batches of tool results. Not streamed, the loop reports one response for all its calls: each
/// call gets its messages, and the last one the response's model, id, finish reason and usage; when the loop made more
/// than one call, that usage is the loop's sum (<c>metadata.token_usage_scope = "tool_loop"</c>,
/// <c>metadata.model_calls</c>): the trace's totals are right, the split between calls is unknown from outside. A
/// PandaProbe layer inside the loop records each call exactly.</para>
/// </remarks>
internal sealed class ModelTurns : IStreamTelemetry<ChatResponseUpdate>
{
    static readonly AsyncLocal<ModelTurns?> Slot = new();

    readonly TraceContext trace;
    readonly SpanContext? parent;
    readonly FunctionInvokingChatClient loop;
    readonly string name;
    readonly ChatOptions? options;
    readonly ChatClientMetadata? metadata;
    readonly TimeProvider time;
    readonly bool streaming;
    readonly object gate = new();
    LlmCall? open;
    bool openHasInput;
    /// <summary>The open call of a stream received updates (else its response is read from the history).</summary>
    bool openSawUpdates;
    int calls;
    int iteration = -1;
    int running;
    int finished;
    /// <summary>A batch of tools ran and the model call after it has not started yet.</summary>
    bool awaitingCall;
    int highestIndex = -1;
    /// <summary>The loop's history as its last tool saw it (the loop appends the tools' results to it).</summary>
    IList<ChatMessage>? history;
    int finishedLoop;

    ModelTurns(FunctionInvokingChatClient loop, TraceContext trace, SpanContext? parent, string name, ChatOptions? options,
        ChatClientMetadata? metadata, TimeProvider time, bool streaming)
    {
        this.loop = loop;
        this.trace = trace;
        this.parent = parent;
        this.name = name;
        this.options = options;
        this.metadata = metadata;
        this.time = time;
        this.streaming = streaming;
    }

    /// <summary>The tool loop whose model calls these are (its tools, and no other loop's, tell these turns).</summary>
    public FunctionInvokingChatClient Loop => loop;

    /// <summary>The loop of the current flow (the layer's call into the loop, and the tools the loop runs from it).</summary>
    public static ModelTurns? Current => Slot.Value;

    /// <summary>
    /// Starts the first model call's span under the flow's current trace and span and makes these turns current in
    /// this flow (call it in the async method that then runs the loop); <c>null</c> when no trace is open.
    /// </summary>
    public static ModelTurns? TryStart(FunctionInvokingChatClient loop, string name, IReadOnlyList<ChatMessage> request, ChatOptions? options,
        ChatClientMetadata? metadata, TimeProvider time, bool streaming)
    {
        try
        {
            if (Probe.CurrentTrace is not { IsRecording: true, EndedAt: null } trace) return null;
            var parent = Probe.CurrentSpan is { EndedAt: null } span && span.TraceId == trace.TraceId ? span : null;
            var turns = new ModelTurns(loop, trace, parent, name, options, metadata, time, streaming);
            lock (turns.gate) turns.Open(request);
            Slot.Value = turns;
            return turns;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"chat client instrumentation could not follow the tool loop: {ex.Message}");
            return null;
        }
    }

    /// <summary>Opens the next call's span (its input now when known). Under <see cref="gate"/>.</summary>
    void Open(IReadOnlyList<ChatMessage>? input)
    {
        open = LlmCall.StartTurn(trace, parent, name, input, options, metadata, time, streaming);
        openHasInput = input is not null;
        openSawUpdates = false;
        if (open is not null) calls++;
    }

    /// <summary>A tool of the loop is about to run: the call that asked for it has ended.</summary>
    public void ToolStarting(FunctionInvocationContext context)
    {
        try
        {
            lock (gate)
            {
                if (Volatile.Read(ref finishedLoop) != 0) return;
                if (context.Iteration != iteration)
                {
                    iteration = context.Iteration;
                    running = finished = 0;
                    highestIndex = -1;
                    if (open is null && awaitingCall) Open(null);   // the call after a batch whose end was not seen
                    if (open is not null) EndFromHistory(context.Messages);
                    awaitingCall = true;
                }
                running++;
                highestIndex = Math.Max(highestIndex, context.FunctionCallIndex);
                history = context.Messages;
            }
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not follow the tool loop: {ex.Message}"); }
    }

    /// <summary>A tool of the loop has finished: after the last one of its batch the next model call starts.</summary>
    public void ToolFinished(FunctionInvocationContext context)
    {
        try
        {
            lock (gate)
            {
                if (Volatile.Read(ref finishedLoop) != 0 || context.Iteration != iteration) return;
                running--;
                finished++;
                if (context.Terminate) awaitingCall = false;   // the loop ends without another model call
                if (open is not null || !awaitingCall || running > 0) return;
                // Every call of the batch has run (or the last one has, and no other is still running).
                if (finished >= context.FunctionCount || highestIndex >= context.FunctionCount - 1)
                {
                    awaitingCall = false;
                    Open(null);
                }
            }
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not follow the tool loop: {ex.Message}"); }
    }

    /// <summary>Ends the open call with the trailing assistant messages of the history as its response. Under <see cref="gate"/>.</summary>
    void EndFromHistory(IList<ChatMessage>? messages)
    {
        var call = open!;
        open = null;
        if (streaming && openSawUpdates)
        {
            if (!openHasInput && messages is not null) call.SetInput(Before(messages, Trailing(messages)), options?.Instructions);
            call.CompleteStream(incomplete: false);
            return;
        }
        var snapshot = messages?.ToArray() ?? [];
        var reply = Trailing(snapshot);
        if (!openHasInput) call.SetInput(Before(snapshot, reply), options?.Instructions);
        call.Complete(new ChatResponse(snapshot[^reply..].ToList()));
    }

    /// <summary>The number of assistant messages at the end of <paramref name="messages"/> (a model call's response).</summary>
    static int Trailing(IList<ChatMessage> messages)
    {
        var count = 0;
        for (var i = messages.Count - 1; i >= 0 && messages[i]?.Role == ChatRole.Assistant; i--) count++;
        return count;
    }

    static ChatMessage[] Before(IList<ChatMessage> messages, int trailing)
    {
        var list = new ChatMessage[Math.Max(0, messages.Count - trailing)];
        for (var i = 0; i < list.Length; i++) list[i] = messages[i];
        return list;
    }

    /// <summary>One update of the loop's stream: part of the open call's response unless it carries the tools' results.</summary>
    public void Observe(ChatResponseUpdate update)
    {
        try
        {
            if (update is null || update.Role == ChatRole.Tool) return;
            LlmCall? call;
            lock (gate)
            {
                call = open;
                if (call is not null) openSawUpdates = true;
            }
            call?.Observe(update);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not follow the tool loop: {ex.Message}"); }
    }

    /// <summary>The last call, when its start was not seen (a batch whose end was not seen), starts now. Under <see cref="gate"/>.</summary>
    void TakeLast()
    {
        if (open is not null || !awaitingCall) return;
        awaitingCall = false;
        Open(null);
    }

    /// <summary>The loop returned <paramref name="response"/>: the last call ends with its final messages.</summary>
    public void Complete(ChatResponse? response)
    {
        if (Interlocked.Exchange(ref finishedLoop, 1) != 0) return;
        try
        {
            LlmCall? call;
            int made;
            lock (gate)
            {
                TakeLast();
                call = open;
                open = null;
                made = calls;
                if (call is not null && !openHasInput && history is not null) call.SetInput(history.ToArray(), options?.Instructions);
            }
            if (call is null) return;
            if (response is null)
            {
                call.Complete(new ChatResponse());
                return;
            }
            var messages = response.Messages;
            var from = 0;
            for (var i = messages.Count - 1; i >= 0; i--)
                if (messages[i]?.Role == ChatRole.Tool) { from = i + 1; break; }
            var last = new ChatResponse(messages.Skip(from).ToList())
            {
                ModelId = response.ModelId,
                ResponseId = response.ResponseId,
                FinishReason = response.FinishReason,
                Usage = response.Usage,
            };
            if (made > 1 && response.Usage is not null)
                call.SetMetadata(new Dictionary<string, object?> { ["token_usage_scope"] = "tool_loop", ["model_calls"] = made });
            call.Complete(last);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the tool loop's last call: {ex.Message}"); }
    }

    /// <summary>The streamed loop ended: the last call ends with what it streamed.</summary>
    public void CompleteStream(bool incomplete)
    {
        if (Interlocked.Exchange(ref finishedLoop, 1) != 0) return;
        try
        {
            LlmCall? call;
            lock (gate)
            {
                TakeLast();
                call = open;
                open = null;
                if (call is not null && !openHasInput && history is not null) call.SetInput(history.ToArray(), options?.Instructions);
            }
            call?.CompleteStream(incomplete);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the tool loop's last call: {ex.Message}"); }
    }

    /// <summary>The loop failed: the call in progress (if any) fails with it.</summary>
    public void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref finishedLoop, 1) != 0) return;
        try
        {
            LlmCall? call;
            lock (gate)
            {
                call = open;
                open = null;
                if (call is not null && !openHasInput && history is not null) call.SetInput(history.ToArray(), options?.Instructions);
            }
            call?.Fail(exception);
        }
        catch (Exception ex) { SelfLog.Write($"chat client instrumentation could not record the tool loop's failure: {ex.Message}"); }
    }
}
