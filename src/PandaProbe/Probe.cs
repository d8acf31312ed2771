using System.Reactive.Linq;
using PandaProbe.Ambient;

namespace PandaProbe;

/// <summary>
/// The static entry point: a default <see cref="PandaProbeClient"/> created on first use from the
/// <c>PANDAPROBE_*</c> environment variables (once per process, thread-safe), or set with <see cref="Init"/>.
/// With <c>PANDAPROBE_ENABLED=false</c> every call is a near-free no-op. Never throws for the SDK's own reasons.
/// </summary>
/// <example><code>
/// using (Probe.Session("conversation-42"))
/// using (var trace = Probe.StartTrace("chat-turn", input: "Hello"))
/// {
///     trace.Span("answer", SpanType.Llm, span => span.SetOutput("Hi!"));
/// }
/// await Probe.FlushAsync();
/// </code></example>
public static partial class Probe
{
    static readonly object InitGate = new();
    static PandaProbeClient? current;
    /// <summary>Clients made the default by <see cref="SetDefault"/>: owned elsewhere, so <see cref="Init"/> does not shut them down.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<PandaProbeClient, object> Borrowed = new();

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> of live activities: register it with
    /// <c>AddSource("PandaProbe")</c> on an OpenTelemetry tracer provider (or listen with an
    /// <see cref="System.Diagnostics.ActivityListener"/>) and every trace and span is also an activity, current inside
    /// its scope, a child of the activity that was current when it started. With no listener nothing is created.
    /// </summary>
    public const string ActivitySourceName = "PandaProbe";

    /// <summary>The default client (created from the environment on first use if <see cref="Init"/> was not called).</summary>
    public static PandaProbeClient Client => Volatile.Read(ref current) ?? AutoInit();

    /// <summary><c>true</c> when the default client records traces.</summary>
    public static bool IsEnabled => Client.IsEnabled;

    static PandaProbeClient AutoInit()
    {
        lock (InitGate)
        {
            if (current is not null) return current;
            PandaProbeClient client;
            try { client = new PandaProbeClient(); }
            catch (Exception ex)
            {
                SelfLog.Write($"automatic initialisation failed, tracing is off: {ex.Message}");
                try { Console.Error.WriteLine($"PandaProbe: tracing is off: {ex.Message}"); } catch { }
                client = PandaProbeClient.Disabled;
            }
            Volatile.Write(ref current, client);
            return client;
        }
    }

    /// <summary>
    /// Replaces the default client with one built from <paramref name="options"/>; the previous client is shut down
    /// (drained) in the background, unless it was set by <see cref="SetDefault"/> (its owner, for example a host, shuts
    /// it down). The new client is built before the old one is touched, so an invalid option leaves the previous
    /// client working.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static PandaProbeClient Init(PandaProbeOptions? options = null)
    {
        var client = new PandaProbeClient(options);
        PandaProbeClient? previous;
        lock (InitGate) previous = Interlocked.Exchange(ref current, client);
        if (previous is not null && !ReferenceEquals(previous, client) && !Borrowed.TryGetValue(previous, out _))
            _ = previous.ShutdownAsync();
        return client;
    }

    /// <summary>
    /// Makes <paramref name="client"/> the default client without shutting the previous one down (it keeps its owner,
    /// for example a host that registered it), until the returned scope is disposed: that restores the previous
    /// default (or the automatic one, if none had been created yet), unless another default was set since. Used by
    /// <c>AddPandaProbe</c> in a host; <see cref="Init"/> is the call for an application that owns its default client.
    /// </summary>
    /// <param name="client">The client <see cref="Client"/> returns until the scope is disposed.</param>
    /// <returns>A scope restoring the previous default once.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <c>null</c>.</exception>
    public static IDisposable SetDefault(PandaProbeClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        PandaProbeClient? previous;
        Borrowed.AddOrUpdate(client, Borrowed);
        lock (InitGate) previous = Interlocked.Exchange(ref current, client);
        return new DefaultScope(client, previous);
    }

    sealed class DefaultScope(PandaProbeClient client, PandaProbeClient? previous) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            lock (InitGate) Interlocked.CompareExchange(ref current, previous, client);
        }
    }

    /// <summary>
    /// Flush before respond: until the returned scope is disposed, the traces this async flow starts are watched, and
    /// disposing it waits until each of them that has ended has been delivered (every exporter has settled it), within
    /// <paramref name="timeout"/> in all (default <see cref="PandaProbeOptions.FlushOnDisposeTimeout"/>, 5 s). Only
    /// those traces are waited for, not everything queued, and never the spool. For hosts that freeze or stop once
    /// the response is sent (Azure Functions, AWS Lambda, a scale-to-zero container); in ASP.NET Core, as a
    /// middleware or an endpoint filter. Never throws.
    /// </summary>
    /// <param name="timeout">The longest wait for all the traces together.</param>
    /// <example><code>
    /// app.Use(async (context, next) =>
    /// {
    ///     await using (Probe.WaitForDelivery(TimeSpan.FromSeconds(2))) await next(context);
    /// });
    /// </code></example>
    public static IAsyncDisposable WaitForDelivery(TimeSpan? timeout = null) => DeliveryWait.Open(timeout);

    /// <summary>Starts a trace on the default client. See <see cref="PandaProbeClient.StartTrace"/>.</summary>
    public static TraceContext StartTrace(string name, object? input = null, string? sessionId = null, string? userId = null,
        IEnumerable<string>? tags = null, IReadOnlyDictionary<string, object?>? metadata = null,
        System.Diagnostics.ActivityContext parentContext = default) =>
        Client.StartTrace(name, input, sessionId, userId, tags, metadata, parentContext);

    /// <summary>Runs <paramref name="body"/> inside a trace; an exception marks the trace ERROR and propagates unchanged.</summary>
    public static void Trace(string name, Action<TraceContext> body) => Client.Trace(name, body);

    /// <summary>Runs <paramref name="body"/> inside a trace and returns its result; an exception marks it ERROR and propagates.</summary>
    public static T Trace<T>(string name, Func<TraceContext, T> body) => Client.Trace(name, body);

    /// <summary>Awaits <paramref name="body"/> inside a trace; an exception marks the trace ERROR and propagates unchanged.</summary>
    public static Task TraceAsync(string name, Func<TraceContext, Task> body) => Client.TraceAsync(name, body);

    /// <summary>Awaits <paramref name="body"/> inside a trace and returns its result; an exception marks it ERROR and propagates.</summary>
    public static Task<T> TraceAsync<T>(string name, Func<TraceContext, Task<T>> body) => Client.TraceAsync(name, body);

    /// <summary>
    /// Sets the ambient session id for traces started in this async flow until the returned scope is disposed
    /// (which restores the previous value). An explicit <c>sessionId</c> argument wins.
    /// </summary>
    public static IDisposable Session(string sessionId) => AmbientValue.Session.Push(sessionId);

    /// <summary>
    /// Sets the ambient user id for traces started in this async flow until the returned scope is disposed
    /// (which restores the previous value). An explicit <c>userId</c> argument wins.
    /// </summary>
    public static IDisposable User(string userId) => AmbientValue.User.Push(userId);

    /// <summary>Sets the ambient session id for this flow and the flows it starts (no scope; <c>null</c> clears it).</summary>
    [Obsolete("Use 'using (Probe.Session(sessionId))' (or the sessionId argument of StartTrace): the scope restores the previous value.")]
    public static void SetSession(string? sessionId) => AmbientValue.Session.Value = sessionId;

    /// <summary>Sets the ambient user id for this flow and the flows it starts (no scope; <c>null</c> clears it).</summary>
    [Obsolete("Use 'using (Probe.User(userId))' (or the userId argument of StartTrace): the scope restores the previous value.")]
    public static void SetUser(string? userId) => AmbientValue.User.Value = userId;

    /// <summary>The ambient session id of this flow, if any.</summary>
    public static string? CurrentSessionId => AmbientValue.Session.Value;

    /// <summary>The ambient user id of this flow, if any.</summary>
    public static string? CurrentUserId => AmbientValue.User.Value;

    /// <summary>The innermost open trace of this async flow, if any.</summary>
    public static TraceContext? CurrentTrace => AmbientScope.InnermostTrace();

    /// <summary>The innermost open span of this async flow, if any.</summary>
    public static SpanContext? CurrentSpan => AmbientScope.InnermostSpan();

    /// <summary>
    /// The default client's events. Subscribing binds to the client that is current at that moment (a later
    /// <see cref="Init"/> does not move the subscription).
    /// </summary>
    public static IObservable<TraceEvent> Events => Observable.Defer(() => Client.Events);

    /// <summary>The default client's completed traces (bound at subscription, like <see cref="Events"/>).</summary>
    public static IObservable<TraceRecord> CompletedTraces => Observable.Defer(() => Client.CompletedTraces);

    /// <summary>The default client's counters now.</summary>
    public static PipelineHealth Health => Client.Health;

    /// <summary>Adds a delivery-error callback to the default client. See <see cref="PandaProbeClient.OnError"/>.</summary>
    /// <param name="handler">The callback.</param>
    public static void OnError(Action<Exception> handler) => Client.OnError(handler);

    /// <summary>Flushes the default client. See <see cref="PandaProbeClient.FlushAsync"/>.</summary>
    public static Task<FlushResult> FlushAsync(TimeSpan? timeout = null) => Client.FlushAsync(timeout);

    /// <summary>Shuts the default client down. See <see cref="PandaProbeClient.ShutdownAsync"/>.</summary>
    public static Task<FlushResult> ShutdownAsync(TimeSpan? timeout = null) => Client.ShutdownAsync(timeout);
}
