using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI.Internal;

namespace PandaProbe.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> decorator that records every chat call as a PandaProbe LLM span. When a trace is open
/// in the current async flow (<see cref="Probe.CurrentTrace"/>) the span is a child of the current span; otherwise it
/// is the single span of a standalone trace with the same name (input: the last user message; output: the assistant
/// message; session and user from <see cref="Probe.Session"/> and <see cref="Probe.User"/>). Responses, streamed
/// updates and exceptions reach the caller unchanged: telemetry failures are never surfaced.
/// </summary>
/// <remarks>
/// <para>Recorded on the span: the request in messages form (<c>{"messages":[{"role":…,"content":…}]}</c>, with
/// <see cref="ChatOptions.Instructions"/> as a leading system message), the model (<see cref="ChatOptions.ModelId"/>,
/// then the model reported by the response), whitelisted model parameters (temperature, top_p, top_k,
/// max_tokens, frequency_penalty, presence_penalty, seed, stop_sequences, response_format, reasoning_effort),
/// the response messages (tool calls kept as <c>tool_calls</c>), token usage (<c>prompt_tokens</c>,
/// <c>completion_tokens</c>, <c>total_tokens</c>, <c>cache_read_tokens</c>, <c>reasoning_tokens</c> and other
/// provider counts), and in <c>metadata</c>: <c>stream</c>, <c>tools</c> (the definitions offered: type, name, description, parameter schema), <c>response_id</c>,
/// <c>finish_reason</c>, <c>reasoning_summary</c>, <c>provider</c>, <c>server.address</c> and <c>server.port</c> (from
/// the client's <see cref="ChatClientMetadata"/>), and <c>gen_ai.request.model</c> / <c>gen_ai.response.model</c>
/// when the response reports another model than the one requested.</para>
/// <para>Tool loops: a client whose inner pipeline holds a <see cref="FunctionInvokingChatClient"/> (see
/// <see cref="TracesToolLoop"/>) records a TOOL span per function invocation and opens one trace per request when none
/// is open; when no PandaProbe client is beneath the loop it also records the loop's model calls around the tools
/// (<see cref="ModelTurns"/>). A client inside a loop records an LLM span per model call and answers the loop's
/// request for an <see cref="System.Diagnostics.ActivitySource"/>, through which it records the loop's trace and TOOL
/// spans (<see cref="ToolLoopActivities"/>). Either one alone records the whole loop; both record each span once.</para>
/// <para>Streaming: updates pass through as they arrive; the first one sets <c>completion_start_time</c>. The span
/// ends once: when the stream completes, when it fails or is cancelled (status ERROR with what arrived before, the
/// exception is rethrown unchanged), or when
/// the consumer stops early (status OK with what was received and <c>metadata.stream_incomplete = true</c>). A stream
/// that is never enumerated records nothing.</para>
/// <para>Binary content is described (media type, name, size), never copied into the trace.</para>
/// <para>Metrics: every model call this client records is also measured on the <c>PandaProbe</c> meter, in the gen_ai
/// family chosen with <see cref="PandaProbeAIExtensions.GenAiMetrics"/> (one duration per call, token counts when the
/// response reports usage, <c>gen_ai.client.operation.cost</c> when the client's catalogue prices the model), whether
/// or not tracing is on; a call that two PandaProbe layers wrap is measured once (by the outer one).</para>
/// </remarks>
/// <example><code>
/// IChatClient chat = new SomeProviderChatClient(...).WithPandaProbe();
/// var reply = await chat.GetResponseAsync("Hello!");
/// </code></example>
internal sealed class PandaProbeChatClient : DelegatingChatClient
{
    /// <summary>The span (and standalone trace) name used when none is given.</summary>
    public const string DefaultSpanName = "chat";

    readonly PandaProbeClient? client;
    readonly TimeProvider time;
    readonly Lazy<ChatClientMetadata?> metadata;
    readonly FunctionInvokingChatClient? toolLoop;
    readonly Lazy<object> sameCall;
    readonly PandaProbeAIExtensions.GenAiMetrics metrics;
    readonly Lazy<(bool Traced, bool OpenTelemetry)> beneathLoop;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The chat client that does the work.</param>
    /// <param name="client">The PandaProbe client for standalone traces; <c>null</c> uses <see cref="Probe.Client"/> at call time.</param>
    /// <param name="spanName">The span name (default <see cref="DefaultSpanName"/>).</param>
    /// <param name="timeProvider">The clock for <c>completion_start_time</c> (default: the system clock).</param>
    /// <param name="metrics">The gen_ai metrics family published for the model calls this client records.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerClient"/> is <c>null</c>.</exception>
    public PandaProbeChatClient(IChatClient innerClient, PandaProbeClient? client = null, string? spanName = null,
        TimeProvider? timeProvider = null, PandaProbeAIExtensions.GenAiMetrics metrics = PandaProbeAIExtensions.GenAiMetrics.SemanticConventions)
        : base(innerClient)
    {
        this.client = client;
        this.metrics = metrics;
        SpanName = string.IsNullOrWhiteSpace(spanName) ? DefaultSpanName : spanName;
        time = timeProvider ?? TimeProvider.System;
        metadata = new Lazy<ChatClientMetadata?>(ReadMetadata, LazyThreadSafetyMode.ExecutionAndPublication);
        sameCall = new Lazy<object>(FindSameCall, LazyThreadSafetyMode.ExecutionAndPublication);
        toolLoop = FindToolLoop(innerClient);
        if (toolLoop is not null) ToolTracing.Install(toolLoop);
        beneathLoop = new Lazy<(bool, bool)>(FindBeneathLoop, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Asked for an <see cref="ActivitySource"/> (as a <see cref="FunctionInvokingChatClient"/> around this client asks
    /// its inner client when it is built), it answers the pipeline beneath's own source when there is one (an
    /// OpenTelemetry middleware), else a source of PandaProbe's: the loop's <c>orchestrate_tools</c> and
    /// <c>execute_tool</c> activities then become this client's trace and TOOL spans (see
    /// <see cref="ToolLoopActivities"/>).
    /// </remarks>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        var service = base.GetService(serviceType, serviceKey);
        if (service is null && serviceKey is null && serviceType == typeof(ActivitySource))
            return ToolLoopActivities.SourceFor(client, SpanName);
        return service;
    }

    /// <summary>
    /// <c>true</c> when this client wraps a <see cref="FunctionInvokingChatClient"/> (it is outside the tool loop): it
    /// records a TOOL span per function invocation and opens one trace per request when none is open, and leaves the
    /// LLM spans to a <see cref="PandaProbeChatClient"/> inside the loop when there is one (else records them itself).
    /// </summary>
    public bool TracesToolLoop => toolLoop is not null;

    /// <summary>The name of the spans (and standalone traces) this client records.</summary>
    public string SpanName { get; }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = Materialize(messages);
        if (toolLoop is not null) return await LoopAsync(list, options, cancellationToken).ConfigureAwait(false);
        var measured = StartMetrics(options);
        var call = LlmCall.TryStart(client, SpanName, list, options, Metadata(), time, streaming: false, this, SameCall());
        if (call is null && measured is null) return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);

        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            measured?.Failed(ex);
            call?.Fail(ex);
            throw;
        }
        measured?.Succeeded(response?.ModelId, response?.Usage);
        call?.Complete(response!);
        return response!;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        toolLoop is not null
            ? LoopStream(Materialize(messages), options, cancellationToken)
            : Stream(Materialize(messages), options, cancellationToken);

    async Task<ChatResponse> LoopAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var trace = LoopTrace.TryStart(client, SpanName, messages, options);
        // With a trace recording here, this layer records the loop's tools (until this call returns): the loop's own
        // activities are declined.
        if (Probe.CurrentTrace is { IsRecording: true }) ToolLoopActivities.RecordedOutside(true);
        var turns = RecordsModelCalls() ? ModelTurns.TryStart(toolLoop!, SpanName, messages, options, Metadata(), time, streaming: false) : null;
        if (trace is null && turns is null) return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            turns?.Fail(ex);
            trace?.Fail(ex);
            throw;
        }
        turns?.Complete(response);
        trace?.Complete(response, incomplete: false);
        return response;
    }

    async IAsyncEnumerable<ChatResponseUpdate> LoopStream(IReadOnlyList<ChatMessage> messages, ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var trace = LoopTrace.TryStart(client, SpanName, messages, options);
        // As in LoopAsync. The traced branch below runs every pull in the flow captured after this mark; in the
        // pass-through branch only the first pull sees it, and the loop's activities after that record the tools
        // through the shared claim (the same spans, at their cost).
        if (Probe.CurrentTrace is { IsRecording: true }) ToolLoopActivities.RecordedOutside(true);
        var turns = RecordsModelCalls() ? ModelTurns.TryStart(toolLoop!, SpanName, messages, options, Metadata(), time, streaming: true) : null;
        if (trace is null && turns is null)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                yield return update;
            yield break;
        }

        // The trace is current in this flow only until the first yield; the loop's model and tool calls run while the
        // inner stream is pulled, so every pull runs in the flow captured while the trace was current.
        IStreamTelemetry<ChatResponseUpdate> telemetry = trace is null ? turns! : turns is null ? trace : new LoopTelemetry(trace, turns);
        await foreach (var update in ObservedStream.Pass(ct => base.GetStreamingResponseAsync(messages, options, ct), telemetry,
            ExecutionContext.Capture(), cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>A streamed loop watched by the trace it opened and by the model calls this layer reconstructs.</summary>
    sealed class LoopTelemetry(LoopTrace trace, ModelTurns turns) : IStreamTelemetry<ChatResponseUpdate>
    {
        public void Observe(ChatResponseUpdate update)
        {
            turns.Observe(update);
            trace.Observe(update);
        }

        public void Fail(Exception exception)
        {
            turns.Fail(exception);
            trace.Fail(exception);
        }

        public void CompleteStream(bool incomplete)
        {
            turns.CompleteStream(incomplete);
            trace.CompleteStream(incomplete);
        }
    }

    /// <summary>
    /// <c>true</c> when this layer is outside a tool loop in which nothing records the model calls: no
    /// <see cref="PandaProbeChatClient"/> beneath the loop, and no OpenTelemetry middleware there whose activities are
    /// ingested. It then records them itself (<see cref="ModelTurns"/>).
    /// </summary>
    bool RecordsModelCalls()
    {
        if (toolLoop is null) return false;
        try
        {
            var (traced, openTelemetry) = beneathLoop.Value;
            return !traced && (!openTelemetry || !GenAiActivityIngestion.AnyActive);
        }
        catch (Exception) { return false; }
    }

    /// <summary>Whether the tool loop's pipeline holds a PandaProbe client, and an OpenTelemetry one.</summary>
    (bool Traced, bool OpenTelemetry) FindBeneathLoop()
    {
        try
        {
            return (toolLoop!.GetService(typeof(PandaProbeChatClient)) is not null,
                toolLoop.GetService(typeof(OpenTelemetryChatClient)) is not null);
        }
        catch (Exception) { return (true, false); }
    }

    static FunctionInvokingChatClient? FindToolLoop(IChatClient inner)
    {
        try { return inner.GetService(typeof(FunctionInvokingChatClient)) as FunctionInvokingChatClient; }
        catch (Exception) { return null; }
    }

    async IAsyncEnumerable<ChatResponseUpdate> Stream(IReadOnlyList<ChatMessage> messages, ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var measured = StartMetrics(options);
        var call = LlmCall.TryStart(client, SpanName, messages, options, Metadata(), time, streaming: true, this, SameCall());
        if (call is null && measured is null)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                yield return update;
            yield break;
        }

        IStreamTelemetry<ChatResponseUpdate> telemetry = measured is null ? call! : new MeasuredStream(call, measured);
        await foreach (var update in ObservedStream.Pass(ct => base.GetStreamingResponseAsync(messages, options, ct), telemetry, null,
            cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    /// <summary>The metrics of a model call of this client; <c>null</c> when none are published (see <see cref="ModelCallMetrics.Start"/>).</summary>
    ModelCallMetrics? StartMetrics(ChatOptions? options)
    {
        if (metrics == PandaProbeAIExtensions.GenAiMetrics.None) return null;
        var meta = Metadata();
        return ModelCallMetrics.Start(metrics, embeddings: false, options?.ModelId ?? meta?.DefaultModelId, meta?.ProviderName,
            meta?.ProviderUri, client, this, SameCall());
    }

    /// <summary>A stream watched by its span (when traced) and its metrics.</summary>
    sealed class MeasuredStream(LlmCall? call, ModelCallMetrics measured) : IStreamTelemetry<ChatResponseUpdate>
    {
        public void Observe(ChatResponseUpdate update)
        {
            measured.Observe(update);
            call?.Observe(update);
        }

        public void Fail(Exception exception)
        {
            measured.Failed(exception);
            call?.Fail(exception);
        }

        public void CompleteStream(bool incomplete)
        {
            measured.CompleteStream();
            call?.CompleteStream(incomplete);
        }
    }

    ChatClientMetadata? Metadata() => metadata.Value;

    object? SameCall()
    {
        try { return sameCall.Value; }
        catch (Exception) { return null; }
    }

    /// <summary>
    /// The layer a call of this client reaches as the same call: the next <see cref="PandaProbeChatClient"/> of the
    /// pipeline beneath (through delegating middleware such as <c>UseOpenTelemetry()</c>), else the inner client.
    /// Another traced client that the inner client calls (a router's routes) records its calls itself.
    /// </summary>
    object FindSameCall()
    {
        try { return InnerClient.GetService(typeof(PandaProbeChatClient)) as PandaProbeChatClient ?? (object)InnerClient; }
        catch (Exception) { return InnerClient; }
    }

    ChatClientMetadata? ReadMetadata()
    {
        try { return InnerClient.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata; }
        catch (Exception) { return null; }
    }

    static IReadOnlyList<ChatMessage> Materialize(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
    }
}
