using System.Diagnostics;
using PandaProbe.Exporters;
using PandaProbe.Extensions.AI.Internal;
using PandaProbe.Model;

namespace PandaProbe.Extensions.AI;

/// <summary>
/// Records the OpenTelemetry gen_ai <see cref="Activity"/> objects that other libraries emit (Microsoft.Extensions.AI's
/// <c>UseOpenTelemetry()</c>, the Agent Framework's <c>OpenTelemetryAgent</c>, Semantic Kernel, the OpenAI SDK) as
/// PandaProbe spans, while it is active. Start one with
/// <see cref="PandaProbeAIExtensions.IngestGenAiActivities"/>; disposing it stops the ingestion, and so does
/// the client's shutdown.
/// </summary>
/// <remarks>
/// <para>Kinds follow <c>gen_ai.operation.name</c> (or the first word of the activity's name, since libraries set their
/// tags after the activity starts): <c>chat</c>, <c>text_completion</c>, <c>generate_content</c> → LLM;
/// <c>execute_tool</c> → TOOL; <c>invoke_agent</c>, <c>create_agent</c> → AGENT; <c>embeddings</c> → EMBEDDING; any
/// other activity of a listened source (a tool loop's <c>orchestrate_tools</c>) → CHAIN. The Agent Framework's
/// <c>OpenTelemetryAgent</c> names its run's activity <c>chat</c> until the run is under way, so a <c>chat</c> activity of
/// the framework's source (<c>Experimental.Microsoft.Agents.AI</c>, <c>Microsoft.Agents.AI</c>) that is not inside a
/// framework run is an AGENT span named <c>invoke_agent</c> (the agent's name, id and description go to its metadata,
/// the run's usage to <c>metadata.run_token_usage</c>, not counted twice with its model calls); one inside a run (its
/// nearest framework ancestor is an <c>invoke_agent</c>) is a model call the run reports: an LLM span with its tokens.
/// A run activity that ends still named <c>chat</c> is recorded as a model call. A <c>chat</c> of any other source is an
/// LLM.</para>
/// <para>Every generation of the conventions is read into the same span (<see cref="Internal.GenAiGenerations"/>):
/// <c>gen_ai.provider.name</c> or <c>gen_ai.system</c>; <c>input_tokens</c>/<c>output_tokens</c> or
/// <c>prompt_tokens</c>/<c>completion_tokens</c>; <c>cache_creation</c> or <c>cache_write</c>; messages from the
/// <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> attributes (or the v1.37 details event), the v1.27–v1.36
/// per-message events, or the deprecated <c>gen_ai.content.prompt</c>/<c>gen_ai.content.completion</c> events.</para>
/// <para>Tool loops: an <c>orchestrate_tools</c> span (and the trace it opens) gets the loop's request (its first model
/// call's messages) as input and its final answer as output, from the model-call activities inside it or a
/// <see cref="PandaProbeChatClient"/> inside the loop; the trace it opens is named after the caller, the application
/// activity around it, when there is one, else after the request's first user message. A model call seen by two layers (a chat activity directly inside another
/// model call's activity, such as Microsoft.Extensions.AI's inside the Agent Framework's) is one span: the inner
/// activity fills the outer one's span, and its tokens are counted once.</para>
/// <para>Never listened to, whatever is asked: the replay source, <c>System.Net.Http*</c> (the exporter's own requests
/// would each open a trace, exported by another request, forever) and <c>Microsoft.AspNetCore*</c>.</para>
/// <para>Parentage: an ingested span's parent is the span of its nearest ingested ancestor activity (or a PandaProbe
/// span opened inside that one); otherwise the current PandaProbe span of the flow where the activity starts; when no
/// trace is open there, the activity opens a trace of its own, which ends when the activity stops (one trace per root
/// activity). Only gen_ai work opens a trace (LLM, TOOL, AGENT, EMBEDDING, and the orchestrations
/// <c>orchestrate_tools</c> and <c>invoke_workflow</c>); any other activity with no trace open is ignored, and the
/// gen_ai activities inside it open their own. The ingested span becomes the current span of that flow, as the activity becomes
/// <see cref="Activity.Current"/>, so PandaProbe spans started inside the activity (a <see cref="PandaProbeChatClient"/>
/// call inside a Semantic Kernel function) nest under it.</para>
/// <para>No double recording: when PandaProbe's own middleware and an OpenTelemetry middleware wrap the same call,
/// there is one span, in either order: PandaProbe's when it is outside; the ingested one when the activity is outside,
/// with the inner PandaProbe layer writing its messages, arguments, result and usage onto it. That holds for one call
/// only: when the activity wraps several (a <c>chat</c> activity around a whole tool loop, a kernel function whose body
/// calls tools), the first fills the activity's span and the others are spans of their own beneath it, so every call
/// is recorded once and its tokens counted once.</para>
/// <para>Recorded: model (requested and reported), messages when the library records them (Microsoft.Extensions.AI:
/// <c>EnableSensitiveData</c>; binary parts described by media type and size, never copied), model parameters, token usage, response id, finish reason, tool name, call id,
/// arguments and result, agent name, id and description, and errors (status ERROR). The PandaProbe replay source
/// <see cref="ActivityTraceExporter.SourceName"/> is never listened to.</para>
/// </remarks>
internal sealed class GenAiActivityIngestion : IDisposable
{
    /// <summary>The sources listened to by default (<see cref="PandaProbeAIExtensions.GenAiSources"/>).</summary>
    public static IReadOnlyList<string> DefaultSources => PandaProbeAIExtensions.GenAiSources;

    const string StateKey = "PandaProbe.GenAiActivityIngestion";
    const int MaxAncestors = 64;

    /// <summary>The number of ingestions running now.</summary>
    static long active;

    readonly PandaProbeClient client;
    readonly ActivityListener listener;
    readonly IDisposable? shutdownWatch;
    int disposed;
    int listenerDisposed;
    long inFlight;

    internal GenAiActivityIngestion(PandaProbeClient client, IEnumerable<string> additionalSources)
    {
        this.client = client;
        foreach (var source in additionalSources)
            if (source is not null && source.Trim() == "*")
                throw new ArgumentException(
                    "A bare \"*\" would listen to every activity source, the HTTP client's included (so the export of each trace would be ingested as a new trace); name the sources or prefixes instead.",
                    nameof(additionalSources));
        Sources = DefaultSources.Concat(additionalSources.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()))
            .Distinct(StringComparer.Ordinal).ToArray();
        listener = new ActivityListener
        {
            ShouldListenTo = source => Matches(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Decide(),
            SampleUsingParentId = (ref ActivityCreationOptions<string> _) => Decide(),
            ActivityStarted = OnStarted,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(listener);
        Interlocked.Increment(ref active);
        try
        {
            shutdownWatch = client.CompletedTraces.Subscribe(new ShutdownWatch(this));
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai activity ingestion could not watch the client's shutdown: {ex.Message}"); }
    }

    /// <summary>The source names (and <c>*</c> prefixes) listened to: <see cref="DefaultSources"/> and the ones added.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary><c>true</c> while any ingestion is running.</summary>
    internal static bool AnyActive => Interlocked.Read(ref active) > 0;

    /// <summary><c>true</c> until disposed or the client shuts down.</summary>
    public bool IsActive => Volatile.Read(ref disposed) == 0;

    /// <summary>
    /// Stops ingesting: activities that start later are not recorded; the spans of activities already running end
    /// when they stop. Idempotent; never throws.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        Interlocked.Decrement(ref active);
        try { shutdownWatch?.Dispose(); } catch (Exception) { }
        if (Interlocked.Read(ref inFlight) == 0) CloseListener();
    }

    void CloseListener()
    {
        if (Interlocked.Exchange(ref listenerDisposed, 1) != 0) return;
        try { listener.Dispose(); }
        catch (Exception ex) { SelfLog.Write($"gen_ai activity ingestion: {ex.Message}"); }
    }

    bool Matches(string name)
    {
        // PandaProbe's own activities (live and replayed) are never ingested back.
        if (string.Equals(name, ActivityTraceExporter.SourceName, StringComparison.Ordinal)
            || string.Equals(name, Probe.ActivitySourceName, StringComparison.Ordinal)
            || string.Equals(name, ToolLoopActivities.SourceName, StringComparison.Ordinal) || IsNeverIngested(name)) return false;
        foreach (var source in Sources)
        {
            if (source.EndsWith('*'))
            {
                if (name.StartsWith(source.AsSpan(0, source.Length - 1), StringComparison.Ordinal)) return true;
            }
            else if (string.Equals(name, source, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>
    /// Transport sources that are never ingested, whatever was asked: the HTTP client's (the exporter's own requests,
    /// which would otherwise open a trace per export, exported by another request, forever) and ASP.NET Core's.
    /// </summary>
    static bool IsNeverIngested(string name) =>
        name.StartsWith("System.Net.Http", StringComparison.Ordinal) || name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal);

    ActivitySamplingResult Decide() =>
        IsActive && client.IsEnabled ? ActivitySamplingResult.AllData : ActivitySamplingResult.None;

    /// <summary>What this ingestion knows about one activity, kept on the activity itself (collected with it).</summary>
    sealed class State(GenAiActivityIngestion owner, SpanContext? span, SpanContext? effective, TraceContext? trace,
        TraceContext? ownedTrace, SpanType kind)
    {
        public GenAiActivityIngestion Owner { get; } = owner;
        /// <summary>The span this ingestion records for the activity; <c>null</c> when another layer records it.</summary>
        public SpanContext? Span { get; } = span;
        /// <summary>The span that stands for the activity: the parent of the spans of its descendants.</summary>
        public SpanContext? Effective { get; } = effective;
        public TraceContext? Trace { get; } = trace;
        public TraceContext? OwnedTrace { get; } = ownedTrace;
        public SpanType Kind { get; } = kind;
        /// <summary>The claim on the call; filled when an inner PandaProbe layer wrote its details onto <see cref="Span"/>.</summary>
        public GenAiClaims.Entry? Claim { get; init; }
        /// <summary>
        /// For a model-call activity that is the same call as its ingested ancestor's (a chat activity directly inside
        /// another, such as Microsoft.Extensions.AI's inside the Agent Framework's): that ancestor, whose span it fills.
        /// </summary>
        public State? SameCallOf { get; init; }
        /// <summary>For a tool loop's activity: what its model calls saw (its request and final answer).</summary>
        public LoopNotes? Notes { get; init; }
        /// <summary>The parts (<see cref="ActivityRecorder.Parts"/>) a same-call activity inside already wrote onto <see cref="Span"/>.</summary>
        public int InnerParts;
        public int Stopped;
    }

    void OnStarted(Activity activity)
    {
        // inFlight counts this call before IsActive is read, and Dispose() sets IsActive before it reads inFlight (both
        // with full fences), so they cannot miss each other: either this call sees the ingestion disposed and leaves
        // (releasing its count, closing the listener if it was the last), or Dispose() sees the count and leaves the
        // listener open until the span started here ends in OnStopped. Checking IsActive first would let Dispose() run
        // in between, close the listener while the count is still 0, and the activity's stop would never be seen: its
        // span (and the trace it owns) would never end. The count is handed to OnStopped only when a span was started.
        Interlocked.Increment(ref inFlight);
        var handedOver = false;
        SpanContext? span = null;
        TraceContext? owned = null;
        try
        {
            if (!IsActive || activity.GetCustomProperty(StateKey) is not null) return;
            var kind = GenAiActivityMapping.StartKind(activity);
            var name = GenAiActivityMapping.SpanName(activity, kind);

            var ancestor = Ancestor(activity);
            TraceContext? trace = null;
            SpanContext? parent = null;
            if (ancestor is { Trace: { EndedAt: null } ancestorTrace })
            {
                trace = ancestorTrace;
                if (ancestor.Effective is { EndedAt: null } standsFor)
                {
                    var current = Probe.CurrentSpan;
                    parent = current is { EndedAt: null } && current.TraceId == standsFor.TraceId
                        && (ReferenceEquals(current, standsFor) || current.StartedAt >= standsFor.StartedAt)
                        ? current : standsFor;
                }
            }
            else if (Probe.CurrentTrace is { IsRecording: true, EndedAt: null } open) trace = open;

            // A TOOL activity names its function after the operation ("execute_tool get_weather"); without one, no name check.
            var toolName = kind == SpanType.Tool && activity.DisplayName.Trim().Contains(' ') ? name : null;
            if (GenAiClaims.IsClaimable(kind)
                && GenAiClaims.ActivityClaimant(kind, toolName, within: GenAiActivityMapping.IsAgentRunStart(activity)) is { } claimant)
            {
                // A model call inside the span of an ingested model call is that same call seen by a second layer (a
                // chat activity inside the Agent Framework's chat activity for the call): it fills that span, once.
                var sameCall = kind == SpanType.Llm && ancestor is { Span: { } ancestorSpan, Kind: SpanType.Llm }
                    && ReferenceEquals(ancestorSpan, claimant) ? ancestor : null;
                activity.SetCustomProperty(StateKey, new State(this, null, claimant, trace, null, kind) { SameCallOf = sameCall });
                return;
            }

            var orchestration = kind == SpanType.Chain && GenAiActivityMapping.IsOrchestration(activity);
            if (trace is null)
            {
                // Only gen_ai work opens a trace of its own: any other activity of a listened source is ignored when
                // no trace is open (its gen_ai descendants then open their own traces).
                if (!GenAiActivityMapping.OpensTrace(activity, kind)) return;
                // A tool loop's trace is named after its caller (the application's activity around it) when there is one.
                var traceName = orchestration ? GenAiActivityMapping.CallerName(activity, a => a.GetCustomProperty(StateKey) is State) ?? name : name;
                owned = client.StartTrace(traceName);
                if (!owned.IsRecording) return;
                trace = owned;
            }
            var metadata = new Dictionary<string, object?> { ["activity_source"] = activity.Source.Name };
            span = trace.Span(name, kind, metadata: metadata, parent: parent, makeCurrent: true);
            var claim = GenAiClaims.Claim(kind, span, shared: true, name: toolName);
            // A tool loop's activity carries no messages: its model calls note theirs (see LoopNotes).
            var notes = orchestration ? LoopNotes.Begin() : null;
            activity.SetCustomProperty(StateKey, new State(this, span, span, trace, owned, kind) { Claim = claim, Notes = notes });
            handedOver = true;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"gen_ai activity ingestion could not start a span for '{activity.DisplayName}': {ex.Message}");
            if (!handedOver)
                try
                {
                    span?.End();   // no stop will end them: this activity has no state of ours
                    owned?.End();
                }
                catch (Exception) { }
        }
        finally
        {
            if (!handedOver) Release();
        }
    }

    void Release()
    {
        if (Interlocked.Decrement(ref inFlight) == 0 && !IsActive) CloseListener();
    }

    static State? Ancestor(Activity activity)
    {
        var depth = 0;
        for (var a = activity.Parent; a is not null && depth < MaxAncestors; a = a.Parent, depth++)
            if (a.GetCustomProperty(StateKey) is State state) return state;
        return null;
    }

    void OnStopped(Activity activity)
    {
        if (activity.GetCustomProperty(StateKey) is not State state || !ReferenceEquals(state.Owner, this)) return;
        if (state.Span is not { } span)
        {
            if (state.SameCallOf is { } outer) FillSameCall(activity, state, outer);
            return;
        }
        if (Interlocked.Exchange(ref state.Stopped, 1) != 0) return;
        try
        {
            var written = ActivityRecorder.Record(activity, span, state.Kind, state.OwnedTrace, filledInside: state.Claim?.Filled == true,
                skip: (ActivityRecorder.Parts)Volatile.Read(ref state.InnerParts));
            if (state.Kind == SpanType.Llm || GenAiActivityMapping.StayedChat(activity, state.Kind)) NoteForLoop(activity, written);
            if (state.Notes is { } notes)
            {
                notes.Close();
                RecordLoop(span, state.OwnedTrace, notes);
            }
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai activity ingestion could not record '{activity.DisplayName}': {ex.Message}"); }
        finally
        {
            try
            {
                span.End();
                state.OwnedTrace?.End();
            }
            catch (Exception ex) { SelfLog.Write($"gen_ai activity ingestion: {ex.Message}"); }
            Release();
        }
    }

    /// <summary>
    /// Writes what a model-call activity that is the same call as its ingested ancestor reports onto the ancestor's
    /// span (the parts nobody wrote yet; its tokens once), so the call is one span and its usage counted once.
    /// </summary>
    static void FillSameCall(Activity activity, State inner, State outer)
    {
        if (Interlocked.Exchange(ref inner.Stopped, 1) != 0 || outer.Span is not { EndedAt: null } span) return;
        try
        {
            var written = ActivityRecorder.Record(activity, span, SpanType.Llm, ownedTrace: null, filledInside: outer.Claim?.Filled == true,
                skip: (ActivityRecorder.Parts)Volatile.Read(ref outer.InnerParts));
            int seen, merged;
            do
            {
                seen = Volatile.Read(ref outer.InnerParts);
                merged = seen | (int)written.Parts;
            }
            while (Interlocked.CompareExchange(ref outer.InnerParts, merged, seen) != seen);
            NoteForLoop(activity, written);
        }
        catch (Exception ex) { SelfLog.Write($"gen_ai activity ingestion could not record '{activity.DisplayName}': {ex.Message}"); }
    }

    /// <summary>A model call's messages, for the tool loop around it (see <see cref="LoopNotes"/>).</summary>
    static void NoteForLoop(Activity activity, ActivityRecorder.Written written)
    {
        if (LoopNotes.Around(activity.Parent) is not { } notes) return;
        notes.Request(written.Input);
        notes.Response(written.Output);
    }

    /// <summary>
    /// The notes of the ingested tool loop that a model call under <paramref name="activity"/> belongs to: walking up
    /// past model-call activities, the first ingested activity, when it is a loop (see <see cref="LoopNotes.Around"/>).
    /// </summary>
    internal static LoopNotes? LoopAround(Activity? activity)
    {
        var depth = 0;
        for (var a = activity; a is not null && depth < MaxAncestors; a = a.Parent, depth++)
        {
            if (a.GetCustomProperty(StateKey) is not State state) continue;
            if (state.Notes is { } notes) return notes;
            if (state.Kind == SpanType.Llm) continue;   // the call's own activity, or the same call seen by another layer
            return null;
        }
        return null;
    }

    /// <summary>A tool loop's request (its first model call's messages) and final answer, on its span and the trace it opened.</summary>
    static void RecordLoop(SpanContext span, TraceContext? ownedTrace, LoopNotes notes)
    {
        if (notes.LoopRequest is { } request)
        {
            span.SetInput(request);
            ownedTrace?.SetInput(request);
            // A tool loop with no caller to name its trace (a workflow has a name of its own) is named after the request's first user message.
            var first = request switch
            {
                ChatMessages messages => messages.FirstText("user", 80),
                System.Text.Json.Nodes.JsonObject form => ChatTelemetry.FirstText(form, "user", 80),
                Payload form => ChatTelemetry.FirstText(form, "user", 80),
                _ => null,
            };
            if (ownedTrace is not null && span.Name == "orchestrate_tools" && ownedTrace.Name == span.Name && first is not null) ownedTrace.SetName(first);
        }
        if (LoopNotes.FinalAnswer(notes.LoopResponse) is { } answer)
        {
            span.SetOutput(answer);
            ownedTrace?.SetOutput(answer);
        }
    }

    sealed class ShutdownWatch(GenAiActivityIngestion owner) : IObserver<PandaProbe.Model.TraceRecord>
    {
        public void OnNext(PandaProbe.Model.TraceRecord value) { }
        public void OnError(Exception error) => owner.Dispose();
        public void OnCompleted() => owner.Dispose();
    }
}
