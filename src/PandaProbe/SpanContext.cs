using System.Diagnostics;
using PandaProbe.Ambient;
using PandaProbe.Internal;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>
/// An open span: one step of a trace (an LLM call, a tool, a retrieval…). Created by <see cref="TraceContext.Span(string, SpanType, string?, IReadOnlyDictionary{string, object?}?, SpanContext?, bool)"/>;
/// ends when disposed. Setters replace (input, output, model, token usage, cost, model parameters) or merge
/// (metadata). Every member is safe to call at any time and never throws for the SDK's own reasons.
/// </summary>
/// <example><code>
/// using var span = trace.Span("retrieve", SpanType.Retriever);
/// try { span.SetInput(query); docs = await store.SearchAsync(query); span.SetOutput(docs); }
/// catch (Exception e) when (span.Fail(e)) { }   // records the error; the exception still propagates
/// </code></example>
public sealed partial class SpanContext : IDisposable, IAsyncDisposable
{
    internal static readonly SpanContext NoOp = new();

    readonly SpanCell? cell;   // the span's own state cell (null when its start was refused: events then reach the trace, which refuses them)
    readonly long startedTicks;   // UTC ticks of the start (the clock's UTC time, kept in 8 bytes)
    long endedTicks;   // UTC ticks of the end; 0 while open (set once, atomically)
    /// <summary>The ambient entry this one covers in the flow where it was pushed (see <see cref="AmbientScope"/>).</summary>
    internal readonly object? AmbientNext;
    ErrorInfo? error;
    /// <summary>The live activity, while someone listens (null otherwise).</summary>
    internal readonly LiveActivity? Live;

    SpanContext()
    {
        Name = string.Empty;
        Trace = TraceContext.NoOp;
    }

    internal SpanContext(TraceContext trace, SpanCell? cell, SpanId id, SpanContext? parent, string name,
        SpanType kind, DateTimeOffset startedAt, bool makeCurrent, LiveActivity? live)
    {
        Trace = trace;
        Live = live;
        this.cell = cell;
        Id = id;
        ParentSpan = parent;
        Name = name;
        Kind = kind;
        startedTicks = startedAt.UtcTicks;
        if (makeCurrent) AmbientNext = AmbientScope.Push(this);
    }

    /// <summary>The client recording this span (its trace's); <c>null</c> for the no-op span.</summary>
    PandaProbeClient? Client => Trace.Client;

    internal SpanId Id { get; }
    internal TraceContext Trace { get; }
    internal SpanContext? ParentSpan { get; }
    internal bool IsOpen => Client is not null && Volatile.Read(ref endedTicks) == 0;

    /// <summary>Folds a span-local event into this span's own cell, on this thread (the trace's state is not touched).</summary>
    void Raise(TraceEvent e)
    {
        if (cell is not null) cell.Raise(e);
        else Trace.Raise(e);
    }

    /// <summary><c>true</c> once ended (the ambient stack skips it).</summary>
    internal bool IsEnded => Volatile.Read(ref endedTicks) != 0;

    /// <summary>
    /// The span's W3C context, to propagate by hand where no <c>HttpClient</c> instrumentation does (a queue message,
    /// an MCP call): its live activity's when there is one, else one made from the span's ids (the W3C span id is the
    /// first 8 bytes of <see cref="SpanId"/>). Its <c>TraceState</c> carries PandaProbe's entry, so a trace started
    /// under it in another process continues this trace, under this span. Default when not recording.
    /// </summary>
    public ActivityContext ActivityContext =>
        Client is null ? default
        : Live is not null ? Live.Activity.Context
        : new ActivityContext(Trace.Live?.Activity.TraceId ?? Propagation.ToW3C(Trace.Id), Propagation.ToW3C(Id),
            ActivityTraceFlags.Recorded, Propagation.WithEntry(Trace.Live?.Activity.TraceStateString, Propagation.StateEntry(Trace.Id, Id)));

    /// <summary>The W3C <c>traceparent</c> header of <see cref="ActivityContext"/>; null when not recording.</summary>
    public string? TraceParent => Client is null ? null : Propagation.TraceParent(ActivityContext);

    /// <summary>The W3C <c>tracestate</c> header of <see cref="ActivityContext"/> (with PandaProbe's entry); null when not recording.</summary>
    public string? TraceState => Client is null ? null : ActivityContext.TraceState;

    /// <summary>The span's id. <see cref="Guid.Empty"/> when not recording.</summary>
    public Guid SpanId => Id.Value;

    /// <summary>The id of the trace the span belongs to.</summary>
    public Guid TraceId => Trace.TraceId;

    /// <summary>
    /// The parent span's id, or <c>null</c> for a top-level span. A top-level span of a trace that continues another
    /// process's trace has the span standing for that trace as its parent (<see cref="Model.TraceRecord.ContinuationSpan"/>).
    /// </summary>
    public Guid? ParentId => ParentSpan?.SpanId ?? Trace.ContinuationSpan?.Value;

    /// <summary>The span's name.</summary>
    public string Name { get; }

    /// <summary>The kind of work.</summary>
    public SpanType Kind { get; }

    /// <summary>When the span started.</summary>
    public DateTimeOffset StartedAt => new(startedTicks, TimeSpan.Zero);

    /// <summary>When the span ended, once it has.</summary>
    public DateTimeOffset? EndedAt => Volatile.Read(ref endedTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>The last error recorded on the span through this object, if any.</summary>
    public ErrorInfo? Error => error;

    /// <summary><c>false</c> for the no-op span handed out while tracing is disabled; then every call does nothing.</summary>
    public bool IsRecording => Client is not null;

    /// <summary>Sets (replaces) the span's input.</summary>
    public void SetInput(object? input)
    {
        if (Client is null) return;
        Raise(new InputSet(Trace.Id, Id, Client.Capture(input), Client.EventTime(StartedAt)));
    }

    /// <summary>Sets (replaces) the span's output.</summary>
    public void SetOutput(object? output)
    {
        if (Client is null) return;
        Raise(new OutputSet(Trace.Id, Id, Client.Capture(output), Client.EventTime(StartedAt)));
    }

    /// <summary>Sets (replaces) the model name (at most 255 characters are sent).</summary>
    public void SetModel(string model)
    {
        if (Client is null || model is null) return;
        Raise(new ModelSet(Trace.Id, Id, model, Client.EventTime(StartedAt)));
    }

    /// <summary>
    /// Sets (replaces) the token usage. Both base counts are always sent; <paramref name="extra"/> adds keys such as
    /// <c>reasoning_tokens</c>, <c>cache_read_tokens</c> or <c>total_tokens</c>. A negative count is refused and counted.
    /// </summary>
    public void SetTokenUsage(long promptTokens = 0, long completionTokens = 0, IReadOnlyDictionary<string, long>? extra = null)
    {
        if (Client is null) return;
        var extras = Client.Snapshot(extra, "span", Name, "token usage extras");
        if (promptTokens < 0 || completionTokens < 0 || extras.Any(kv => kv.Value < 0))
        {
            Client.Refuse($"span '{Name}': negative token counts are not recorded");
            return;
        }
        var usage = TokenUsage.Of(promptTokens, completionTokens, extras.Length == 0 ? null : extras.Select(kv => (kv.Key, kv.Value)));
        Raise(new TokensSet(Trace.Id, Id, usage, Client.EventTime(StartedAt)));
    }

    /// <summary>Sets (replaces) the model parameters (temperature, max tokens, …).</summary>
    public void SetModelParameters(IReadOnlyDictionary<string, object?> parameters)
    {
        if (Client is null || parameters is null) return;
        Raise(new ModelParametersSet(Trace.Id, Id, Client.CaptureMap(parameters), Client.EventTime(StartedAt)));
    }

    /// <summary>
    /// Sets (replaces) the cost in US dollars: <c>total</c> plus optional components. A non-finite value is refused
    /// and counted. An explicit cost always wins over a cost computed from the price catalogue.
    /// </summary>
    public void SetCost(double total, IReadOnlyDictionary<string, double>? extra = null)
    {
        if (Client is null) return;
        var extras = Client.Snapshot(extra, "span", Name, "cost components");
        if (!double.IsFinite(total) || extras.Any(kv => !double.IsFinite(kv.Value)))
        {
            Client.Refuse($"span '{Name}': non-finite costs are not recorded");
            return;
        }
        Raise(new CostSet(Trace.Id, Id, Cost.Of(total, extras.Length == 0 ? null : extras.Select(kv => (kv.Key, kv.Value))), Client.EventTime(StartedAt)));
    }

    /// <summary>Records when the first token of a streamed completion arrived (time to first token).</summary>
    public void SetCompletionStartTime(DateTimeOffset timestamp)
    {
        if (Client is null) return;
        Raise(new CompletionStartSet(Trace.Id, Id, timestamp, Client.EventTime(StartedAt)));
    }

    /// <summary>Merges keys into the span's metadata (later values win).</summary>
    public void SetMetadata(IReadOnlyDictionary<string, object?> metadata)
    {
        if (Client is null || metadata is null) return;
        Raise(new MetadataMerged(Trace.Id, Id, Client.CaptureMap(metadata), Client.EventTime(StartedAt)));
    }

    /// <summary>Sets the span's status explicitly.</summary>
    public void SetStatus(SpanStatus status)
    {
        if (Client is null) return;
        Raise(new SpanStatusSet(Trace.Id, Id, status, Client.EventTime(StartedAt)));
    }

    /// <summary>Records an error message (and optional data); the span's status becomes ERROR.</summary>
    public void SetError(string message, IReadOnlyDictionary<string, object?>? data = null)
    {
        if (Client is null) return;
        message ??= string.Empty;
        var info = new ErrorInfo(message, null, data is null ? default : Client.CaptureMap(data));
        error = info;
        Raise(new Errored(Trace.Id, Id, info, Client.EventTime(StartedAt)));
    }

    /// <summary>
    /// Records <paramref name="exception"/> (its message and type) as the span's error and returns <c>false</c>, so it
    /// fits an exception filter that records without catching: <c>catch (Exception e) when (span.Fail(e)) { }</c>.
    /// </summary>
    public bool Fail(Exception exception)
    {
        if (Client is null || exception is null) return false;
        var info = ErrorInfo.From(exception);
        error = info;
        Raise(new Errored(Trace.Id, Id, info, Client.EventTime(StartedAt)));
        return false;
    }

    /// <summary>Ends the span (the imperative twin of <see cref="Dispose"/>). Idempotent.</summary>
    public void End()
    {
        if (Client is null || Volatile.Read(ref endedTicks) != 0) return;
        var now = Client.Now();
        if (Interlocked.CompareExchange(ref endedTicks, now.UtcTicks, 0) != 0) return;
        Trace.Raise(new SpanEnded(Trace.Id, Id, now));
        Live?.Stop(cell?.State.End(now), now);
    }

    /// <summary>Ends the span. Idempotent; never throws.</summary>
    public void Dispose() => End();

    /// <summary>Ends the span. Idempotent; never throws.</summary>
    public ValueTask DisposeAsync()
    {
        End();
        return default;
    }

    /// <inheritdoc />
    public override string ToString() => IsRecording ? $"Span '{Name}' ({Kind.ToWireName()}) {SpanId}" : "Span (not recording)";
}
