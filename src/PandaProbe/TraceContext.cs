using System.Diagnostics;
using PandaProbe.Ambient;
using PandaProbe.Internal;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>
/// An open trace: one end-to-end run of your application (an agent turn, a pipeline run). Created by
/// <see cref="Probe.StartTrace"/> or <see cref="PandaProbeClient.StartTrace"/>; ends when disposed. Every member is
/// safe to call at any time: calls after the end, a second dispose or values that cannot be serialized are recorded
/// and counted (see <see cref="FlushResult"/>), never thrown.
/// </summary>
/// <example><code>
/// using var trace = Probe.StartTrace("support-agent", input: new { messages = new[] { new { role = "user", content = "Hi" } } });
/// using (var llm = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
/// {
///     llm.SetTokenUsage(promptTokens: 12, completionTokens: 5);
/// }
/// trace.SetOutput("Hello!");
/// </code></example>
public sealed partial class TraceContext : IDisposable, IAsyncDisposable
{
    internal static readonly TraceContext NoOp = new();

    readonly PandaProbeClient? client;
    readonly TraceCell? cell;
    readonly TraceId id;
    readonly long startedTicks;   // UTC ticks of the start (the clock's UTC time, kept in 8 bytes)
    long endedTicks;   // UTC ticks of the end; 0 while open (set once, atomically)
    string name;
    /// <summary>The ambient entry this one covers in the flow where it was pushed (see <see cref="AmbientScope"/>).</summary>
    internal readonly object? AmbientNext;
    /// <summary>The live activity, while someone listens (null otherwise).</summary>
    internal readonly LiveActivity? Live;
    readonly TraceLinks? continuation;   // when the trace continues another process's trace

    /// <summary>The span standing for this trace in the trace it continues (null for a trace of its own).</summary>
    internal SpanId? ContinuationSpan => continuation?.ContinuationSpan;

    TraceContext()
    {
        id = new TraceId(Guid.Empty);
        name = string.Empty;
    }

    internal TraceContext(PandaProbeClient client, TraceCell cell, string name, DateTimeOffset startedAt, TraceContext? parent,
        LiveActivity? live, TraceLinks? continuation)
    {
        this.client = client;
        this.cell = cell;
        Live = live;
        this.continuation = continuation;
        id = cell.Id;
        this.name = name;
        startedTicks = startedAt.UtcTicks;
        Parent = parent;
        AmbientNext = AmbientScope.Push(this);
    }

    /// <summary>The trace's id (random, or the W3C trace id it continues; readable at once). <see cref="Guid.Empty"/> when not recording.</summary>
    public Guid TraceId => id.Value;

    /// <summary>The trace's name (the latest <see cref="SetName"/>'s, once called).</summary>
    public string Name => Volatile.Read(ref name);

    /// <summary>When the trace started.</summary>
    public DateTimeOffset StartedAt => new(startedTicks, TimeSpan.Zero);

    /// <summary>When the trace ended, once it has.</summary>
    public DateTimeOffset? EndedAt => Volatile.Read(ref endedTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary><c>false</c> for the no-op trace handed out while tracing is disabled; then every call does nothing.</summary>
    public bool IsRecording => client is not null;

    /// <summary>The trace that was open in this flow when this one started (a sub-agent's parent run), if any.</summary>
    public TraceContext? Parent { get; }

    internal bool IsOpen => client is not null && Volatile.Read(ref endedTicks) == 0;

    /// <summary>
    /// The trace's W3C context, to propagate by hand where no <c>HttpClient</c> instrumentation does (a queue message,
    /// an MCP call): its live activity's when there is one, else one made from the trace's ids. Its <c>TraceState</c>
    /// carries PandaProbe's entry, so a trace started under it in another process continues this one (see
    /// <see cref="PandaProbeClient.StartTrace"/>). Default when not recording.
    /// </summary>
    public ActivityContext ActivityContext =>
        client is null ? default
        : Live is not null ? Live.Activity.Context
        : new ActivityContext(Propagation.ToW3C(id), Propagation.ToW3C(continuation?.ContinuationSpan ?? new SpanId(id.Value)),
            ActivityTraceFlags.Recorded, Propagation.StateEntry(id, continuation?.ContinuationSpan));

    /// <summary>The W3C <c>traceparent</c> header of <see cref="ActivityContext"/>; null when not recording.</summary>
    public string? TraceParent => client is null ? null : Propagation.TraceParent(ActivityContext);

    /// <summary>The W3C <c>tracestate</c> header of <see cref="ActivityContext"/> (with PandaProbe's entry); null when not recording.</summary>
    public string? TraceState => client is null ? null : ActivityContext.TraceState;

    /// <summary><c>true</c> once ended (the ambient stack skips it).</summary>
    internal bool IsEnded => Volatile.Read(ref endedTicks) != 0;
    internal TraceId Id => id;
    internal PandaProbeClient? Client => client;

    /// <summary>The trace's state cell (null for the no-op trace).</summary>
    internal TraceCell? Cell => cell;

    /// <summary>Folds an event of this trace (or of one of its spans) into its cell, on this thread.</summary>
    internal void Raise(TraceEvent e) => cell?.Raise(e);

    /// <summary>Sets (replaces) the trace's input.</summary>
    public void SetInput(object? input)
    {
        if (client is null) return;
        Raise(new InputSet(id, null, client.Capture(input), client.EventTime(StartedAt)));
    }

    /// <summary>Sets (replaces) the trace's output.</summary>
    public void SetOutput(object? output)
    {
        if (client is null) return;
        Raise(new OutputSet(id, null, client.Capture(output), client.EventTime(StartedAt)));
    }

    /// <summary>Merges keys into the trace's metadata (later values win).</summary>
    public void SetMetadata(IReadOnlyDictionary<string, object?> metadata)
    {
        if (client is null || metadata is null) return;
        Raise(new MetadataMerged(id, null, client.CaptureMap(metadata), client.EventTime(StartedAt)));
    }

    /// <summary>
    /// Replaces the trace's name, for a name known only once the run has begun (the request's first user message, the
    /// caller's route). 1–512 characters are sent; a longer name is cut on the export side. Its live activity, if any,
    /// is renamed too.
    /// </summary>
    public void SetName(string name)
    {
        if (client is null || name is null) return;
        Volatile.Write(ref this.name, name);
        Raise(new TraceRenamed(id, name, client.EventTime(StartedAt)));
        if (Live is not null) Live.Activity.DisplayName = name;
    }

    /// <summary>Sets the trace's status explicitly; a clean end then keeps it instead of COMPLETED.</summary>
    public void SetStatus(TraceStatus status)
    {
        if (client is null) return;
        Raise(new TraceStatusSet(id, status, client.EventTime(StartedAt)));
    }

    /// <summary>Marks the trace ERROR with <paramref name="message"/> (sent as <c>metadata.error</c>).</summary>
    public void SetError(string message)
    {
        if (client is null) return;
        Raise(new Errored(id, null, ErrorInfo.Of(message ?? string.Empty), client.EventTime(StartedAt)));
    }

    /// <summary>
    /// Records <paramref name="exception"/> as the trace's error (status ERROR) and returns <c>false</c>, so it fits
    /// an exception filter that records without catching: <c>catch (Exception e) when (trace.Fail(e)) { }</c>.
    /// </summary>
    public bool Fail(Exception exception)
    {
        if (client is null || exception is null) return false;
        Raise(new Errored(id, null, ErrorInfo.From(exception), client.EventTime(StartedAt)));
        return false;
    }

    /// <summary>
    /// Starts a span of this trace; by default it becomes the current span of this async flow (the ambient parent of
    /// spans started later in it). Its parent is <paramref name="parent"/> when given, otherwise the innermost open
    /// span of this trace in the current flow. A kind known only by its platform name (<c>"LLM"</c>) converts with
    /// <c>SpanType.Parse</c>.
    /// </summary>
    /// <param name="name">The span's name.</param>
    /// <param name="kind">The kind of work.</param>
    /// <param name="model">The model name, for LLM spans.</param>
    /// <param name="metadata">Initial metadata.</param>
    /// <param name="parent">An explicit parent (e.g. for work handed to another flow); must belong to this trace.</param>
    /// <param name="makeCurrent"><c>false</c> to leave the current span of this flow unchanged (for work that runs beside it).</param>
    public SpanContext Span(string name, SpanType kind = SpanType.Other, string? model = null,
        IReadOnlyDictionary<string, object?>? metadata = null, SpanContext? parent = null, bool makeCurrent = true)
    {
        if (client is null) return SpanContext.NoOp;
        if (parent is not null && !ReferenceEquals(parent.Trace, this))
        {
            SelfLog.Write($"span '{name}': the explicit parent belongs to another trace; using the ambient parent");
            parent = null;
        }
        var effectiveParent = parent ?? AmbientScope.InnermostSpan(this);
        var live = Live is null ? null
            : LiveActivity.StartSpan(name, kind, model, effectiveParent?.Live?.Activity ?? Live.Activity, makeCurrent);
        var spanId = live is null ? Propagation.NewSpan(id) : Propagation.SpanFrom(live.Activity.SpanId, id);
        live?.Mark(id, spanId);
        var now = client.Now();
        // A continuation's top-level spans hang under the span that stands for the trace upstream.
        var spanCell = cell!.StartSpan(new SpanStarted(id, spanId, effectiveParent?.Id ?? continuation?.ContinuationSpan, name, kind, now, model,
            metadata is null ? default : client.CaptureMap(metadata)));
        if (spanCell is null && live is not null)
        {
            live.Discard();   // the span was refused (its trace has ended): no activity for it either
            live = null;
        }
        return new SpanContext(this, spanCell, spanId, effectiveParent, name, kind, now, makeCurrent, live);
    }

    /// <summary>Runs <paramref name="body"/> inside a span; an exception marks the span ERROR and propagates unchanged.</summary>
    public void Span(string name, SpanType kind, Action<SpanContext> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var span = Span(name, kind);
        try { body(span); }
        catch (Exception e) when (span.Fail(e)) { throw; }
    }

    /// <summary>Runs <paramref name="body"/> inside a span and returns its result; an exception marks the span ERROR and propagates unchanged.</summary>
    public T Span<T>(string name, SpanType kind, Func<SpanContext, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var span = Span(name, kind);
        try { return body(span); }
        catch (Exception e) when (span.Fail(e)) { throw; }
    }

    /// <summary>Awaits <paramref name="body"/> inside a span; an exception marks the span ERROR and propagates unchanged.</summary>
    public async Task SpanAsync(string name, SpanType kind, Func<SpanContext, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var span = Span(name, kind);
        try { await body(span).ConfigureAwait(false); }
        catch (Exception e) when (span.Fail(e)) { throw; }
        finally { span.End(); }
    }

    /// <summary>Awaits <paramref name="body"/> inside a span and returns its result; an exception marks the span ERROR and propagates unchanged.</summary>
    public async Task<T> SpanAsync<T>(string name, SpanType kind, Func<SpanContext, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var span = Span(name, kind);
        try { return await body(span).ConfigureAwait(false); }
        catch (Exception e) when (span.Fail(e)) { throw; }
        finally { span.End(); }
    }

    /// <summary>
    /// Ends the trace (the imperative twin of <see cref="Dispose"/>): it is handed to the exporters with every span that
    /// ended before it; spans still open are delivered when they end. Idempotent.
    /// </summary>
    public void End()
    {
        if (client is null || Volatile.Read(ref endedTicks) != 0) return;
        var now = client.Now();
        if (Interlocked.CompareExchange(ref endedTicks, now.UtcTicks, 0) != 0) return;
        Raise(new TraceEnded(id, now));
        Live?.Stop(cell!.Completed ?? cell.State?.Head, now);
    }

    /// <summary>Ends the trace. Idempotent; never throws.</summary>
    public void Dispose() => End();

    /// <summary>
    /// Ends the trace. With <see cref="PandaProbeOptions.FlushOnDispose"/> it then waits (at most
    /// <see cref="PandaProbeOptions.FlushOnDisposeTimeout"/>) until the trace has been exported, for functions that
    /// freeze after the response. Idempotent; never throws.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (client is null || IsEnded) return default;
        if (client.FlushOnDispose is { } timeout) return new ValueTask(FlushAsync(timeout));
        End();
        return default;
    }

    /// <summary>
    /// Ends the trace if it is still open, then waits until it has been delivered, at most <paramref name="timeout"/>
    /// (default <see cref="PandaProbeOptions.FlushOnDisposeTimeout"/>): what is queued is sent now, and the wait ends
    /// when every exporter has settled this trace, not when everything else queued has gone (as
    /// <see cref="PandaProbeClient.FlushAsync"/> would). For a request handler whose host may stop or freeze once the
    /// response is sent. The result counts this trace alone: <see cref="FlushResult.Exported"/> 1 when delivered,
    /// <see cref="FlushResult.Dropped"/> 1 when an exporter failed or dropped it, <see cref="FlushResult.Spooled"/> 1
    /// when the platform exporter kept it for later (read from the worst exporter's outcome for the batch that carried
    /// it), all zero when sampling left it out; <see cref="FlushResult.Completed"/> is <c>false</c> when it was not
    /// settled in time. For a trace that had already ended it waits for everything queued, since its own delivery may
    /// be past. A negative timeout counts as zero. Never throws.
    /// </summary>
    public Task<FlushResult> FlushAsync(TimeSpan? timeout = null)
    {
        // Not async up to the end: ending restores the flow's current activity, which must reach the caller's flow.
        if (client is null) return Task.FromResult(FlushResult.Disabled);
        var wait = timeout ?? client.FlushOnDisposeTimeout;
        if (IsEnded) return client.FlushQueuedAsync(wait);
        var delivered = client.WatchDelivery(id, continuation?.ContinuationSpan);   // before the end: the delivery cannot be missed
        End();
        return delivered is null ? Task.FromResult(FlushResult.Disabled) : client.FlushTraceAsync(id, continuation?.ContinuationSpan, delivered, wait);
    }

    /// <inheritdoc />
    public override string ToString() => IsRecording ? $"Trace '{Name}' {TraceId}" : "Trace (not recording)";
}
