using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Records every function a <see cref="FunctionInvokingChatClient"/> invokes as a TOOL span of the trace current in
/// the invoking flow, by chaining the client's <see cref="FunctionInvokingChatClient.FunctionInvoker"/> (an invoker the
/// user set runs inside the span). Installed at most once per function-invoking client.
/// </summary>
internal static class ToolTracing
{
    static readonly ConditionalWeakTable<FunctionInvokingChatClient, object> Instrumented = new();

    /// <summary>Chains the tool-span invoker onto <paramref name="invoking"/> unless it is already there.</summary>
    public static void Install(FunctionInvokingChatClient invoking)
    {
        lock (Instrumented)
        {
            if (Instrumented.TryGetValue(invoking, out _)) return;
            Instrumented.Add(invoking, new object());
            var previous = invoking.FunctionInvoker;
            invoking.FunctionInvoker = (context, cancellationToken) => InvokeAsync(invoking, context, previous, cancellationToken);
        }
    }

    static ValueTask<object?> Next(FunctionInvocationContext context,
        Func<FunctionInvocationContext, CancellationToken, ValueTask<object?>>? previous, CancellationToken cancellationToken) =>
        previous is not null ? previous(context, cancellationToken) : context.Function.InvokeAsync(context.Arguments, cancellationToken);

    static async ValueTask<object?> InvokeAsync(FunctionInvokingChatClient invoking, FunctionInvocationContext context,
        Func<FunctionInvocationContext, CancellationToken, ValueTask<object?>>? previous, CancellationToken cancellationToken)
    {
        // A PandaProbe layer outside this loop that records no model calls beneath it reconstructs them around the tools.
        var turns = ModelTurns.Current is { } current && ReferenceEquals(current.Loop, invoking) ? current : null;
        ToolLoopActivities.RecordedOutside(false);   // loops the function runs are their own layers' to record
        turns?.ToolStarting(context);
        var span = TryStart(context, out var owned);
        if (span is null)
        {
            try { return await Next(context, previous, cancellationToken).ConfigureAwait(false); }
            finally { turns?.ToolFinished(context); }
        }

        object? result;
        try
        {
            result = await Next(context, previous, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            try
            {
                span.Fail(ex);
                if (owned) span.End();
            }
            catch (Exception telemetry) { SelfLog.Write($"tool instrumentation could not record a failure: {telemetry.Message}"); }
            turns?.ToolFinished(context);
            throw;
        }

        try
        {
            span.SetOutput(ChatTelemetry.ToolResult(result));
        }
        catch (Exception ex) { SelfLog.Write($"tool instrumentation could not record the result: {ex.Message}"); }
        finally
        {
            try { if (owned) span.End(); } catch (Exception ex) { SelfLog.Write($"tool instrumentation: {ex.Message}"); }
        }
        turns?.ToolFinished(context);
        return result;
    }

    /// <summary>
    /// The span for this invocation: a new one (<paramref name="owned"/>), or the span of the ingested
    /// <c>execute_tool</c> activity that already stands for it (filled here, ended by the activity); <c>null</c> when
    /// there is nothing to record.
    /// </summary>
    static SpanContext? TryStart(FunctionInvocationContext context, out bool owned)
    {
        owned = false;
        try
        {
            if (Probe.CurrentTrace is not { IsRecording: true } trace) return null;
            var name = context.Function.Name;
            var metadata = new Dictionary<string, object?>();
            if (context.CallContent?.CallId is { Length: > 0 } callId) metadata["tool_call_id"] = callId;
            metadata["iteration"] = context.Iteration;
            if (GenAiClaims.Claimant(SpanType.Tool, context, out var shared, name) is { } claimant)
            {
                if (!shared) return null;
                // The loop's own activity (a PandaProbe client inside the loop) opened this span and wrapped the
                // function to get its result: this layer records it, around the function the user gave.
                if (context.Function is ToolLoopActivities.RecordingFunction wrapper && ReferenceEquals(wrapper.Span, claimant))
                    context.Function = wrapper.Original;
                claimant.SetMetadata(metadata);
                claimant.SetInput(ChatTelemetry.ToolArguments(context.Arguments));
                return claimant;
            }
            owned = true;
            var span = trace.Span(string.IsNullOrWhiteSpace(name) ? "tool" : name, SpanType.Tool, metadata: metadata);
            // Only an ingested execute_tool activity of this function inside takes this claim (no PandaProbe layer is the
            // same invocation); tools the function's body calls record spans of their own.
            GenAiClaims.Claim(SpanType.Tool, span, name: name);
            span.SetInput(ChatTelemetry.ToolArguments(context.Arguments));
            return span;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"tool instrumentation could not start a span: {ex.Message}");
            return null;
        }
    }
}
