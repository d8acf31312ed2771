using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The tool loop of a <see cref="FunctionInvokingChatClient"/> that has a <see cref="PandaProbeChatClient"/> inside it
/// (<c>UseFunctionInvocation().UsePandaProbe()</c>). The loop takes its <see cref="ActivitySource"/> from its inner
/// client (<c>innerClient.GetService&lt;ActivitySource&gt;()</c>) and starts an <c>orchestrate_tools</c> activity around
/// each request and an <c>execute_tool {name}</c> activity around each function it invokes. When the pipeline beneath
/// has no source of its own (no OpenTelemetry middleware there), the PandaProbe client answers with one of these
/// sources, which only this class listens to, and turns those activities into what the sandwich
/// (<c>UsePandaProbe().UseFunctionInvocation().UsePandaProbe()</c>) records:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>orchestrate_tools</c>: one trace per request when none is open (named like the client's spans, input the
/// last user message of the first model call, output the final assistant message, ERROR when a model call failed);
/// with a trace open, nothing of its own: the loop's spans go under the span current at its start.</item>
/// <item><c>execute_tool</c>: a TOOL span named after the function (metadata <c>tool_call_id</c>, <c>iteration</c>;
/// input the arguments; output the result; ERROR when it threw), current while the function runs. The arguments and
/// the result come from the loop's <see cref="FunctionInvocationContext"/>
/// (<see cref="FunctionInvokingChatClient.CurrentContext"/>): while the function runs, the context's
/// <see cref="FunctionInvocationContext.Function"/> is a <see cref="RecordingFunction"/> around it (the original is put
/// back when the activity stops). The span is claimed as shared (<see cref="GenAiClaims"/>): a PandaProbe layer outside
/// the loop (<see cref="ToolTracing"/>) fills it, puts the original function back and records the result itself, so
/// the sandwich keeps one TOOL span per call. Where that layer has marked the flow (<see cref="RecordedOutside"/>), the
/// loop's activities are declined instead: that layer records the trace and the tools itself.</item>
/// </list>
/// <para>The activities are created only while the client is enabled, and are PandaProbe's alone: each one leaves
/// <see cref="Activity.Current"/> as it was when it started, so the application's own activities (an HTTP call to the
/// model, OpenTelemetry's spans) keep their parents. A streamed loop makes its activity current again after each update
/// it yields; the model calls that follow are then children of it.</para>
/// </remarks>
internal static class ToolLoopActivities
{
    /// <summary>The name of every source this class hands out.</summary>
    public const string SourceName = "PandaProbe.Extensions.AI.ToolLoop";

    const string StateKey = "PandaProbe.ToolLoop";
    const int MaxAncestors = 64;

    /// <summary>Which client and span name a source stands for (the client held weakly: a source is never collected).</summary>
    sealed class Binding(PandaProbeClient? client, string spanName)
    {
        readonly WeakReference<PandaProbeClient>? client = client is null ? null : new WeakReference<PandaProbeClient>(client);

        public string SpanName { get; } = spanName;

        /// <summary>The bound client, <see cref="Probe.Client"/> when none was given; <c>null</c> once it was collected.</summary>
        public PandaProbeClient? Client => client is null ? Probe.Client : client.TryGetTarget(out var c) ? c : null;
    }

    static readonly ConditionalWeakTable<ActivitySource, Binding> Bindings = new();
    static readonly ConditionalWeakTable<PandaProbeClient, ConcurrentDictionary<string, ActivitySource>> ByClient = new();
    static readonly ConcurrentDictionary<string, ActivitySource> ByDefaultClient = new(StringComparer.Ordinal);
    static readonly AsyncLocal<Loop?> Slot = new();
    /// <summary><c>true</c> in a flow whose tool loop a PandaProbe layer outside it records (see <see cref="RecordedOutside"/>).</summary>
    static readonly AsyncLocal<bool> Outside = new();
    static readonly object ListenerGate = new();
    static ActivityListener? listener;
    /// <summary>The loops running now: with none, a model call looks for none.</summary>
    static long running;

    /// <summary>The loop of the current flow: the one whose <c>orchestrate_tools</c> activity started in it, else the nearest around <see cref="Activity.Current"/>.</summary>
    public static Loop? Current()
    {
        try
        {
            if (Slot.Value is { Stopped: false } loop) return loop;
            return Interlocked.Read(ref running) == 0 ? null : Around(Activity.Current);
        }
        catch (Exception ex)
        {
            SelfLog.Write($"tool loop: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The source for a tool loop around a PandaProbe client of <paramref name="client"/> (<c>null</c>:
    /// <see cref="Probe.Client"/> at call time) whose spans are named <paramref name="spanName"/>.
    /// </summary>
    public static ActivitySource? SourceFor(PandaProbeClient? client, string spanName)
    {
        try
        {
            EnsureListener();
            var sources = client is null ? ByDefaultClient : ByClient.GetValue(client, _ => new(StringComparer.Ordinal));
            return sources.GetOrAdd(spanName, name =>
            {
                var source = new ActivitySource(SourceName, typeof(ToolLoopActivities).Assembly.GetName().Version?.ToString());
                Bindings.AddOrUpdate(source, new Binding(client, name));
                return source;
            });
        }
        catch (Exception ex)
        {
            SelfLog.Write($"tool loop: no activity source: {ex.Message}");
            return null;
        }
    }

    static void EnsureListener()
    {
        if (Volatile.Read(ref listener) is not null) return;
        lock (ListenerGate)
        {
            if (listener is not null) return;
            var created = new ActivityListener
            {
                // Every source of this name: one created after this listener is asked before its binding is added.
                ShouldListenTo = source => string.Equals(source.Name, SourceName, StringComparison.Ordinal),
                Sample = (ref ActivityCreationOptions<ActivityContext> options) => Decide(options.Source),
                SampleUsingParentId = (ref ActivityCreationOptions<string> options) => Decide(options.Source),
                ActivityStarted = OnStarted,
                ActivityStopped = OnStopped,
            };
            ActivitySource.AddActivityListener(created);
            Volatile.Write(ref listener, created);
        }
    }

    /// <summary>
    /// Marks the current flow as one whose tool loop a PandaProbe layer outside the loop records (the sandwich: that
    /// layer opens the trace and records each tool call itself), or, with <c>false</c>, as one that is not (a function
    /// the loop invokes, whose own loops are traced by their own layers). The loop's activities are declined in a marked
    /// flow, so the sandwich pays for no activity it would not use. Set it in an async method: it holds for that call.
    /// </summary>
    public static void RecordedOutside(bool value)
    {
        if (Outside.Value != value) Outside.Value = value;
    }

    static ActivitySamplingResult Decide(ActivitySource source)
    {
        try
        {
            if (Outside.Value) return ActivitySamplingResult.None;
            return Bindings.TryGetValue(source, out var binding) && binding.Client is { IsEnabled: true }
                ? ActivitySamplingResult.AllData
                : ActivitySamplingResult.None;
        }
        catch (Exception)
        {
            return ActivitySamplingResult.None;
        }
    }

    /// <summary>One request through the tool loop: the trace its spans go to, and the parent they hang under.</summary>
    internal sealed class Loop(TraceContext trace, SpanContext? parent, TraceContext? owned)
    {
        Exception? failure;

        /// <summary>The trace of the loop's spans.</summary>
        public TraceContext Trace { get; } = trace;

        /// <summary>The span the loop's model and tool spans hang under; <c>null</c>: the trace's root.</summary>
        public SpanContext? Parent { get; } = parent;

        /// <summary>The trace this loop opened (and ends); <c>null</c> when one was open already.</summary>
        public TraceContext? Owned { get; } = owned;

        /// <summary>The first model call's request and the last one's response, for the trace this loop opened.</summary>
        public LoopNotes? Notes { get; } = owned is null ? null : LoopNotes.Begin();

        int stopped;

        /// <summary><c>true</c> once the loop's activity stopped.</summary>
        public bool Stopped => Volatile.Read(ref stopped) != 0;

        /// <summary>Marks the loop stopped; <c>false</c> when it already was.</summary>
        public bool TryStop() => Interlocked.Exchange(ref stopped, 1) == 0;

        /// <summary>A model call of the loop failed: the trace the loop opened ends ERROR.</summary>
        public void Failed(Exception exception) => Interlocked.CompareExchange(ref failure, exception, null);

        public Exception? Failure => Volatile.Read(ref failure);
    }

    /// <summary>One function invocation: its TOOL span, and the context whose function was wrapped.</summary>
    sealed class Tool(SpanContext span, FunctionInvocationContext? context, RecordingFunction? wrapper)
    {
        public SpanContext Span { get; } = span;
        public FunctionInvocationContext? Context { get; } = context;
        public RecordingFunction? Wrapper { get; } = wrapper;
        public int Stopped;
    }

    static void OnStarted(Activity activity)
    {
        try
        {
            if (activity.GetCustomProperty(StateKey) is not null || !Bindings.TryGetValue(activity.Source, out var binding)) return;
            var operation = GenAiActivityMapping.Operation(activity);
            if (operation is not ("orchestrate_tools" or "execute_tool")) return;
            // The activity exists for PandaProbe only: the application's own activities (and PandaProbe's live ones,
            // started below) keep the parent they had.
            if (ReferenceEquals(Activity.Current, activity)) Activity.Current = Foreign(activity.Parent);
            if (operation == "orchestrate_tools") StartLoop(activity, binding);
            else StartTool(activity);
        }
        catch (Exception ex) { SelfLog.Write($"tool loop could not record '{activity.DisplayName}': {ex.Message}"); }
    }

    /// <summary><paramref name="activity"/>, or its nearest ancestor that is not one of these sources' (the application's).</summary>
    static Activity? Foreign(Activity? activity)
    {
        var depth = 0;
        while (activity is not null && depth++ < MaxAncestors && activity.GetCustomProperty(StateKey) is Loop or Tool) activity = activity.Parent;
        return activity;
    }

    static void StartLoop(Activity activity, Binding binding)
    {
        Loop loop;
        if (Probe.CurrentTrace is { IsRecording: true, EndedAt: null } open)
        {
            loop = new Loop(open, Probe.CurrentSpan is { EndedAt: null } span && span.TraceId == open.TraceId ? span : null, null);
        }
        else
        {
            if (binding.Client is not { IsEnabled: true } client) return;
            var trace = client.StartTrace(binding.SpanName);   // current in the loop's flow
            if (!trace.IsRecording) return;
            loop = new Loop(trace, null, trace);
        }
        activity.SetCustomProperty(StateKey, loop);
        Interlocked.Increment(ref running);
        Slot.Value = loop;
    }

    static void StartTool(Activity activity)
    {
        var loop = Slot.Value is { Stopped: false } flowing ? flowing : Around(activity.Parent);
        TraceContext trace;
        SpanContext? parent = null;
        if (Probe.CurrentTrace is { IsRecording: true, EndedAt: null } open) trace = open;
        else if (loop is { Trace: { EndedAt: null } loopTrace })
        {
            // A streamed loop's later pulls run in the consumer's flow, where the trace the loop opened is not current.
            trace = loopTrace;
            parent = loop.Parent is { EndedAt: null } loopParent ? loopParent : null;
        }
        else return;

        var context = FunctionInvokingChatClient.CurrentContext;
        var callId = GenAiActivityMapping.Text(activity, "gen_ai.tool.call.id");
        var toolName = GenAiActivityMapping.Text(activity, "gen_ai.tool.name");
        if (context is not null && !Matches(context, callId, toolName)) context = null;
        var name = context?.Function.Name ?? toolName;
        if (string.IsNullOrWhiteSpace(name)) name = "tool";

        var metadata = new Dictionary<string, object?>();
        if ((context?.CallContent?.CallId ?? callId) is { Length: > 0 } id) metadata["tool_call_id"] = id;
        if (context is not null) metadata["iteration"] = context.Iteration;
        var span = trace.Span(name, SpanType.Tool, metadata: metadata, parent: parent, makeCurrent: true);
        if (!span.IsRecording) return;
        if (context is not null) span.SetInput(ChatTelemetry.ToolArguments(context.Arguments));
        // A PandaProbe layer outside the loop (its function invoker runs inside this activity) fills this span.
        GenAiClaims.Claim(SpanType.Tool, span, shared: true, name: name);
        RecordingFunction? wrapper = null;
        if (context?.Function is { } function)
        {
            wrapper = new RecordingFunction(function, span);
            context.Function = wrapper;
        }
        activity.SetCustomProperty(StateKey, new Tool(span, context, wrapper));
        Slot.Value = null;   // what the function calls (a model, another loop) is not part of this loop
    }

    /// <summary><c>true</c> when the flow's invocation context is the activity's call (same call id, else same function name).</summary>
    static bool Matches(FunctionInvocationContext context, string? callId, string? toolName)
    {
        if (!string.IsNullOrEmpty(callId) && context.CallContent?.CallId is { Length: > 0 } contextCall)
            return string.Equals(callId, contextCall, StringComparison.Ordinal);
        return string.IsNullOrEmpty(toolName) || string.Equals(context.Function?.Name, toolName, StringComparison.Ordinal);
    }

    static void OnStopped(Activity activity)
    {
        switch (activity.GetCustomProperty(StateKey))
        {
            case Loop loop:
                StopLoop(activity, loop);
                break;
            case Tool tool:
                StopTool(activity, tool);
                break;
        }
    }

    static void StopLoop(Activity activity, Loop loop)
    {
        if (!loop.TryStop()) return;
        Interlocked.Decrement(ref running);
        if (loop.Owned is not { } trace) return;
        try
        {
            if (loop.Notes is { } notes)
            {
                notes.Close();
                if (notes.LoopRequest is ChatMessages request && request.LastWithRole("user") is { } input) trace.SetInput(input);
                if (LoopNotes.FinalAnswer(notes.LoopResponse) is { } output) trace.SetOutput(output);
            }
            if (loop.Failure is { } failure) trace.Fail(failure);
            else if (GenAiActivityMapping.Error(activity) is var (message, _)) trace.SetError(message);
        }
        catch (Exception ex) { SelfLog.Write($"tool loop could not record the trace: {ex.Message}"); }
        finally
        {
            try { trace.End(); } catch (Exception ex) { SelfLog.Write($"tool loop: {ex.Message}"); }
        }
    }

    static void StopTool(Activity activity, Tool tool)
    {
        if (Interlocked.Exchange(ref tool.Stopped, 1) != 0) return;
        try
        {
            if (tool.Wrapper is { } wrapper && tool.Context is { } context && ReferenceEquals(context.Function, wrapper))
                context.Function = wrapper.Original;
            if (tool.Span.Error is null && GenAiActivityMapping.Error(activity) is var (message, data)) tool.Span.SetError(message, data);
        }
        catch (Exception ex) { SelfLog.Write($"tool loop could not record '{activity.DisplayName}': {ex.Message}"); }
        finally
        {
            try { tool.Span.End(); } catch (Exception ex) { SelfLog.Write($"tool loop: {ex.Message}"); }
        }
    }

    /// <summary>
    /// The loop <paramref name="activity"/> (or its nearest ancestor of these sources) belongs to; <c>null</c> inside a
    /// tool (a model call there belongs to the tool, not to the loop around it) or outside any loop.
    /// </summary>
    static Loop? Around(Activity? activity)
    {
        var depth = 0;
        for (var a = activity; a is not null && depth < MaxAncestors; a = a.Parent, depth++)
        {
            switch (a.GetCustomProperty(StateKey))
            {
                case Loop { Stopped: false } loop: return loop;
                case Loop or Tool: return null;
            }
        }
        return null;
    }

    /// <summary>
    /// The function a tool loop invokes, wrapped while it runs so that its result (or exception) lands on its TOOL span.
    /// A PandaProbe layer outside the loop puts the original back before invoking it (see <see cref="ToolTracing"/>).
    /// </summary>
    internal sealed class RecordingFunction(AIFunction inner, SpanContext span) : DelegatingAIFunction(inner)
    {
        /// <summary>The TOOL span the result goes to.</summary>
        public SpanContext Span { get; } = span;

        /// <summary>The function wrapped.</summary>
        public AIFunction Original { get; } = inner;

        /// <inheritdoc />
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            object? result;
            try
            {
                result = await base.InvokeCoreAsync(arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                try { Span.Fail(ex); }
                catch (Exception telemetry) { SelfLog.Write($"tool loop could not record a failure: {telemetry.Message}"); }
                throw;
            }
            try { Span.SetOutput(ChatTelemetry.ToolResult(result)); }
            catch (Exception ex) { SelfLog.Write($"tool loop could not record the result: {ex.Message}"); }
            return result;
        }
    }
}
