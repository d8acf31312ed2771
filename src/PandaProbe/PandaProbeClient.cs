using LanguageExt;
using System.Reactive.Linq;
using PandaProbe.Ambient;
using PandaProbe.Internal;
using PandaProbe.Serialization;
using PandaProbe.Model.Enrichment;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe;

/// <summary>
/// A tracing client: owns one pipeline (each trace folded on the thread that records it, an export queue, one
/// enrichment step and the exporters) and hands out traces. Use several for several
/// destinations, or register one with dependency injection; <see cref="Probe"/> wraps a default one. Building a
/// client validates its options (an <see cref="ArgumentException"/> names a bad setting); after that no member
/// throws for the SDK's own reasons, and the calling thread never waits for I/O.
/// </summary>
/// <example><code>
/// await using var client = new PandaProbeClient(new PandaProbeOptions { Exporters = { new InMemoryTraceExporter() } });
/// using (var trace = client.StartTrace("job")) { using var span = trace.Span("step"); }
/// await client.FlushAsync();
/// </code></example>
public sealed partial class PandaProbeClient : IDisposable, IAsyncDisposable
{
    static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(30);

    readonly TracePipeline? pipeline;
    readonly TimeProvider time;
    readonly ClientSetup? setup;
    readonly EventHandler? exitHandler;
    readonly bool captureActivity;

    /// <summary>Builds a client from <paramref name="options"/> (environment variables fill what is left unset).</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public PandaProbeClient(PandaProbeOptions? options = null)
    {
        options ??= new PandaProbeOptions();
        setup = ClientSetup.Resolve(options);
        captureActivity = options.CaptureActivityContext == true;
        time = setup.Time;
        if (setup.Debug && !SelfLog.IsEnabled) SelfLog.Enable(m => Console.Error.WriteLine(m));
        if (!setup.Enabled) return;
        if (options.CompletedTraceRetention > 0) archive = new TraceArchive(options.CompletedTraceRetention);
        priceCatalog = options.ComputeCosts ? options.PriceCatalog ?? Model.Pricing.PriceCatalog.Default : null;
        pipeline = new TracePipeline(setup.Exporters, setup.Pipeline, time, setup.Scheduler,
            new Enricher(priceCatalog, setup.Environment, setup.Release) { Budgets = setup.Budgets }, archive is null ? null : archive.Add,
            setup.Redactor, setup.Sampling, PlatformSetup.Log, options.Spool.WriteAhead, options.AbandonedTraceTimeout, setup.RateFit, setup.Live);
        AttachExtensions(options);
        setup.AnnounceOnce();
        if (setup.RegisterProcessExit)
        {
            exitHandler = (_, _) => OnProcessExit();
            AppDomain.CurrentDomain.ProcessExit += exitHandler;
        }
    }

    PandaProbeClient(bool _)
    {
        time = TimeProvider.System;
    }

    /// <summary>A client that records nothing: every trace it starts is a no-op.</summary>
    public static PandaProbeClient Disabled { get; } = new(false);

    /// <summary><c>true</c> when the client records traces.</summary>
    public bool IsEnabled => pipeline is not null;

    /// <summary>The environment stamped on this client's traces, if any.</summary>
    public string? Environment => setup?.Environment;

    /// <summary>The release stamped on this client's traces, if any.</summary>
    public string? Release => setup?.Release;

    /// <summary>
    /// Every event this client records, as it is folded (events of one trace raised on several threads at once may
    /// arrive in another order than they were folded). Costs nothing while nobody subscribes; each subscriber gets its
    /// own bounded queue: a slow or throwing subscriber never delays export or your code (its failures and losses are
    /// counted in <see cref="Health"/>).
    /// </summary>
    public IObservable<TraceEvent> Events => pipeline?.Events ?? Observable.Empty<TraceEvent>();

    /// <summary>
    /// Every completed trace, enriched as the exporters receive it (with <c>ToJson()</c> for its platform body),
    /// delivered as the export side takes its batch, each subscriber on its own bounded queue.
    /// </summary>
    public IObservable<TraceRecord> CompletedTraces => pipeline?.CompletedTraces ?? Observable.Empty<TraceRecord>();

    /// <summary>
    /// Every reducer output (trace and span starts and ends, rejections), enriched, delivered in order as the export
    /// side takes its batch (the processors' feed). While nobody subscribes, starts and ends are not even queued.
    /// </summary>
    internal IObservable<Output> Outputs => pipeline?.Outputs ?? Observable.Empty<Output>();

    /// <summary>
    /// The counters now: completed, exported, pending, dropped by reason, rejected, and, when the client sends to the
    /// platform, the delivery counters (retries, give-ups by reason).
    /// </summary>
    public PipelineHealth Health => pipeline?.Counters.Snapshot() ?? FlushResult.Disabled.Health;

    /// <summary>
    /// Starts a trace and makes it current in this async flow. Session and user default to the ambient values set by
    /// <see cref="Probe.Session"/> and <see cref="Probe.User"/>; explicit arguments win. A trace started while another
    /// is open in the same flow is its own trace, linked to the outer one (<c>parent_trace_id</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// <b>Distributed traces.</b> When the W3C context the trace starts under (<paramref name="parentContext"/>, else the
    /// current <see cref="System.Diagnostics.Activity"/>, such as an ASP.NET Core request's) carries PandaProbe's <c>tracestate</c> entry,
    /// set by a PandaProbe trace or span of the calling process, the trace <em>continues</em> that process's trace: it
    /// takes its id, and the platform receives it as a span under the calling span (see
    /// <see cref="Model.TraceRecord.ContinuationSpan"/>), so the upstream trace's name, input, output and start stay as they
    /// are. Otherwise it is a trace of its own.
    /// </para>
    /// <para>
    /// <b>Live activities.</b> While someone listens to <see cref="Probe.ActivitySourceName"/>, the trace and each of its
    /// spans are also activities (see <see cref="Probe.ActivitySourceName"/>). A trace that is the root of its W3C trace
    /// then has the W3C trace id as its id; its span ids are the activities' span ids followed by the last 8 bytes of
    /// the trace id (README, "Distributed traces").
    /// </para>
    /// </remarks>
    /// <param name="name">The trace's name.</param>
    /// <param name="input">The trace's input.</param>
    /// <param name="sessionId">The session (default: the ambient one).</param>
    /// <param name="userId">The user (default: the ambient one).</param>
    /// <param name="tags">String tags.</param>
    /// <param name="metadata">Initial metadata.</param>
    /// <param name="parentContext">
    /// A W3C context propagated by hand (a queue message's <c>traceparent</c> and <c>tracestate</c>, read with
    /// <c>ActivityContext.TryParse</c>); default: the current activity's.
    /// </param>
    public TraceContext StartTrace(string name, object? input = null, string? sessionId = null, string? userId = null,
        IEnumerable<string>? tags = null, IReadOnlyDictionary<string, object?>? metadata = null,
        System.Diagnostics.ActivityContext parentContext = default)
    {
        if (pipeline is null) return TraceContext.NoOp;
        // The trace to continue: PandaProbe's entry in the propagated context's tracestate, else the current activity's.
        var ambient = System.Diagnostics.Activity.Current;
        if (ambient is { IsStopped: true }) ambient = null;
        var parent = AmbientScope.InnermostTrace(this);
        // A context propagated by hand always continues; an ambient one only when it came from outside: a trace started
        // inside one of this process's own traces or spans is a sub-trace (ParentTrace), not a continuation.
        var state = parentContext != default ? parentContext.TraceState
            : ambient is not null && parent is null && !ReferenceEquals(ambient.Source, LiveActivity.Source) ? ambient.TraceStateString
            : null;
        var continues = Propagation.TryRead(state, out var upstream, out var callingSpan);
        var live = LiveActivity.Source.HasListeners() ? LiveActivity.StartTrace(name, parentContext) : null;
        Model.TraceId id;
        if (continues || (live is not null && parentContext == default && ambient is null))
        {
            // An id given by the W3C context: the upstream trace's, or, at the root, the live activity's trace id.
            id = continues ? upstream : Propagation.TraceFrom(live!.Activity.TraceId);
            if (pipeline.Sampling.DecidesAtStart && !pipeline.Sampling.HeadKeeps(id)) return SampledOut(live);
        }
        else if (!pipeline.Sampling.DecidesAtStart) id = Model.TraceId.New();
        else if (pipeline.Sampling.StartOrDrop() is { } kept) id = kept;
        else return SampledOut(live);   // no rule could keep it at its end: not recorded at all
        var continuation = !continues ? null
            : TraceLinks.Continuing(parent?.Id,
                live is not null ? Propagation.SpanFrom(live.Activity.SpanId, id) : Propagation.NewSpan(id), callingSpan);
        live?.Mark(id, continuation?.ContinuationSpan);
        var now = Now();
        var started = new TraceStarted(
            id, name, now,
            input is null ? null : Capture(input),
            sessionId ?? AmbientValue.Session.Value,
            userId ?? AmbientValue.User.Value,
            tags is null ? default : Snapshot(tags, "trace", name, "tags").Where(t => t is not null).ToArray().ToSeq(),
            WithActivity(metadata is null ? default : CaptureMap(metadata), ambient),
            ParentTrace: parent?.Id)
        { ContinuationSpan = continuation?.ContinuationSpan, ContinuationParent = continuation?.Parent };
        // After shutdown nothing is recorded: the trace is the no-op one (the refusal is counted).
        if (pipeline.Start(started) is { } cell)
        {
            var trace = new TraceContext(this, cell, name, now, parent, live, continuation);
            DeliveryWait.Started(trace);
            return trace;
        }
        live?.Discard();
        return TraceContext.NoOp;
    }

    TraceContext SampledOut(LiveActivity? live)
    {
        live?.Discard();
        pipeline!.Counters.SampledOut();
        return TraceContext.NoOp;
    }

    /// <summary>The metadata key of the current activity's trace id (see <see cref="PandaProbeOptions.CaptureActivityContext"/>).</summary>
    internal const string ActivityTraceIdKey = "activity_trace_id";

    /// <summary>The metadata key of the current activity's span id (see <see cref="PandaProbeOptions.CaptureActivityContext"/>).</summary>
    internal const string ActivitySpanIdKey = "activity_span_id";

    /// <summary>
    /// <paramref name="metadata"/> with the ids of <see cref="System.Diagnostics.Activity.Current"/> added when
    /// <see cref="PandaProbeOptions.CaptureActivityContext"/> is on and it has W3C ids; keys the caller set win.
    /// </summary>
    LanguageExt.Map<string, Payload> WithActivity(LanguageExt.Map<string, Payload> metadata, System.Diagnostics.Activity? ambient)
    {
        if (!captureActivity || ambient is not { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity)
            return metadata;
        if (!metadata.ContainsKey(ActivityTraceIdKey)) metadata = metadata.Add(ActivityTraceIdKey, Capture(activity.TraceId.ToHexString()));
        if (!metadata.ContainsKey(ActivitySpanIdKey)) metadata = metadata.Add(ActivitySpanIdKey, Capture(activity.SpanId.ToHexString()));
        return metadata;
    }

    /// <summary>Runs <paramref name="body"/> inside a trace; an exception marks the trace ERROR and propagates unchanged.</summary>
    public void Trace(string name, Action<TraceContext> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var trace = StartTrace(name);
        try { body(trace); }
        catch (Exception e) when (trace.Fail(e)) { throw; }
    }

    /// <summary>Runs <paramref name="body"/> inside a trace and returns its result; an exception marks the trace ERROR and propagates unchanged.</summary>
    public T Trace<T>(string name, Func<TraceContext, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var trace = StartTrace(name);
        try { return body(trace); }
        catch (Exception e) when (trace.Fail(e)) { throw; }
    }

    /// <summary>Awaits <paramref name="body"/> inside a trace; an exception marks the trace ERROR and propagates unchanged.</summary>
    public async Task TraceAsync(string name, Func<TraceContext, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var trace = StartTrace(name);
        try { await body(trace).ConfigureAwait(false); }
        catch (Exception e) when (trace.Fail(e)) { throw; }
        finally { await trace.DisposeAsync().ConfigureAwait(false); }   // with FlushOnDispose, waits for its delivery
    }

    /// <summary>Awaits <paramref name="body"/> inside a trace and returns its result; an exception marks the trace ERROR and propagates unchanged.</summary>
    public async Task<T> TraceAsync<T>(string name, Func<TraceContext, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var trace = StartTrace(name);
        try { return await body(trace).ConfigureAwait(false); }
        catch (Exception e) when (trace.Fail(e)) { throw; }
        finally { await trace.DisposeAsync().ConfigureAwait(false); }   // with FlushOnDispose, waits for its delivery
    }

    /// <summary>
    /// Waits until everything recorded before the call has been exported, then tries the platform's spool in the time
    /// left, or until <paramref name="timeout"/> (default 30 s) passes. Returns what happened during the call (exported,
    /// dropped, spooled, sent from the spool) and what still waits. Never throws.
    /// </summary>
    public async Task<FlushResult> FlushAsync(TimeSpan? timeout = null)
    {
        if (pipeline is null) return FlushResult.Disabled;
        return await pipeline.FlushAsync(timeout ?? DefaultFlushTimeout).ConfigureAwait(false);
    }

    /// <summary>Begins one wait for a trace's delivery (before it ends).</summary>
    internal TaskCompletionSource<LaneOutcome?>? WatchDelivery(Model.TraceId trace, SpanId? continuation) =>
        pipeline?.Counters.Deliveries.Watch(trace, continuation);

    /// <summary>Stops one wait for a trace's delivery.</summary>
    internal void ForgetDelivery(Model.TraceId trace, SpanId? continuation, TaskCompletionSource<LaneOutcome?> wait) =>
        pipeline?.Counters.Deliveries.Forget(trace, continuation, wait);

    /// <summary>
    /// Until the returned scope is disposed, the traces this async flow starts (on any client) are watched; disposing it
    /// waits until each of them that has ended has been delivered, within <paramref name="timeout"/> in all (default
    /// <see cref="PandaProbeOptions.FlushOnDisposeTimeout"/>). See <see cref="Probe.WaitForDelivery"/>.
    /// </summary>
    /// <param name="timeout">The longest wait for all the traces together.</param>
    public IAsyncDisposable WaitForDelivery(TimeSpan? timeout = null) => DeliveryWait.Open(timeout);

    /// <summary>One trace's flush (see <see cref="TracePipeline.FlushTraceAsync"/>).</summary>
    internal Task<FlushResult> FlushTraceAsync(Model.TraceId trace, SpanId? continuation, TaskCompletionSource<LaneOutcome?> delivered, TimeSpan timeout) =>
        pipeline is null ? Task.FromResult(FlushResult.Disabled) : pipeline.FlushTraceAsync(trace, continuation, delivered, Clamp(timeout));

    /// <summary>A wait no shorter than zero and no longer than a day (what <c>Task.WaitAsync</c> accepts, and more than any host waits).</summary>
    internal static TimeSpan Clamp(TimeSpan timeout) =>
        timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : timeout;

    /// <summary>A flush of what was queued, not the spool (no probe of the platform per trace): for a trace that already ended.</summary>
    internal async Task<FlushResult> FlushQueuedAsync(TimeSpan timeout) =>
        pipeline is null ? FlushResult.Disabled : await pipeline.FlushAsync(Clamp(timeout), trySpool: false).ConfigureAwait(false);

    /// <summary>
    /// Stops recording, exports everything already recorded and shuts the exporters down within
    /// <paramref name="timeout"/> (default: the configured shutdown timeout). Idempotent; never throws.
    /// </summary>
    public Task<FlushResult> ShutdownAsync(TimeSpan? timeout = null)
    {
        if (pipeline is null) return Task.FromResult(FlushResult.Disabled);
        if (exitHandler is not null) AppDomain.CurrentDomain.ProcessExit -= exitHandler;
        return ShutdownCoreAsync(timeout ?? setup!.ShutdownTimeout);
    }

    Task<FlushResult> ShutdownCoreAsync(TimeSpan timeout) => pipeline!.ShutdownAsync(timeout);

    /// <summary>Shuts the client down (bounded by the shutdown timeout).</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    /// <summary>Shuts the client down, blocking until the bounded drain ends. Prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => ShutdownAsync().GetAwaiter().GetResult();

    void OnProcessExit()
    {
        try { ShutdownAsync().GetAwaiter().GetResult(); }
        catch (Exception ex) { SelfLog.Write($"shutdown at process exit failed: {ex.Message}"); }
    }

    internal DateTimeOffset Now() => time.GetUtcNow();

    /// <summary>
    /// The time stamp of a setter's event: the clock while someone subscribes to the events (the only place a setter's
    /// time is seen), otherwise <paramref name="edge"/>, the span's or trace's start, so a setter reads no clock (one
    /// read per span edge). Log lines keep their own time (<see cref="Now"/>).
    /// </summary>
    internal DateTimeOffset EventTime(DateTimeOffset edge) => pipeline is { EventsObserved: true } ? Now() : edge;

    /// <summary>Records a score event (scores need no open trace).</summary>
    internal void Record(ScoreRecorded score) => pipeline?.Record(score);

    /// <summary>The completed trace as every consumer sees it: through the export side's enrichment and redaction.</summary>
    internal TraceRecord Enrich(TraceRecord trace) => pipeline is null ? trace : pipeline.Describe(trace);

    /// <summary>How long <c>await using</c> on a trace waits for its export (null: it does not).</summary>
    internal TimeSpan? FlushOnDispose => setup?.FlushOnDispose;

    /// <summary>How long a trace's own flush waits by default.</summary>
    internal TimeSpan FlushOnDisposeTimeout => setup?.FlushTimeout ?? TimeSpan.FromSeconds(5);

    /// <summary>Traces started and not finished (tracked while abandoned traces are closed; for tests and diagnostics).</summary>
    internal int OpenTraceCount => pipeline?.OpenTraceCount ?? 0;

    internal void Refuse(string why)
    {
        pipeline?.Counters.Dropped(DropReason.InvalidValue);
        SelfLog.Write(why);
    }

    /// <summary>
    /// Reads a user's sequence once, guarded: an enumerator that throws gives what was read before it threw (the
    /// failure is counted as an unserializable value and logged), never an exception in the caller.
    /// </summary>
    /// <param name="values">The user's sequence.</param>
    /// <param name="owner">"trace" or "span", for the log line.</param>
    /// <param name="name">The trace's or span's name, for the log line.</param>
    /// <param name="what">What the values are, for the log line (the line is formatted only on a failure).</param>
    internal T[] Snapshot<T>(IEnumerable<T>? values, string owner, string name, string what)
    {
        if (values is null) return [];
        if (values is T[] array) return array;   // an array's enumerator cannot throw, and it is not kept past the call
        var read = new List<T>();
        try
        {
            foreach (var value in values) read.Add(value);
        }
        catch (Exception ex)
        {
            pipeline?.Counters.Unserializable();
            SelfLog.Write($"{owner} '{name}': {what}: reading the values threw {ex.GetType().Name}; {read.Count} value(s) read before it are kept");
        }
        return read.ToArray();
    }

    internal Payload Capture(object? value)
    {
        if (PayloadCapture.TryCapture(value, out var payload)) return payload;
        pipeline?.Counters.Unserializable();
        return payload;
    }

    internal LanguageExt.Map<string, Payload> CaptureMap(IReadOnlyDictionary<string, object?> values)
    {
        var map = PayloadCapture.CaptureMap(values, out var failures);
        for (var i = 0; i < failures; i++) pipeline?.Counters.Unserializable();
        return map;
    }
}
