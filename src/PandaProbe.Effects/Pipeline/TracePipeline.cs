using System.Reactive.Linq;
using System.Reactive.Subjects;
using PandaProbe.Exporters;

namespace PandaProbe.Pipeline;

/// <summary>
/// One tracing pipeline: application threads <see cref="Post(TraceEvent)"/> events into a bounded, non-blocking
/// inbox; a single reader (started without the caller's execution context) pushes them through one Rx <c>Scan</c> of
/// <see cref="TraceReducer.Apply"/>, published once; the reducer's outputs are routed to the export stage, the
/// counters and the isolated user streams (<see cref="Events"/>, <see cref="CompletedTraces"/>, <see cref="Outputs"/>).
/// </summary>
public sealed class TracePipeline : IAsyncDisposable
{
    readonly EventInbox inbox;
    readonly Subject<TraceEvent> folded = new();
    readonly IsolatedSubject<TraceEvent> events;
    readonly IsolatedSubject<Trace> completed;
    readonly IsolatedSubject<Output> outputs;
    readonly ExportStage export;
    readonly IDisposable connection;
    readonly Task reader;
    readonly TimeProvider time;
    readonly Action<Trace>? completedSink;
    TraceState state = TraceState.Empty;
    Task? shutdown;

    sealed record FlushControl(TaskCompletionSource Done);
    sealed record ShutdownControl;

    /// <summary>Starts a pipeline exporting to <paramref name="exporters"/>.</summary>
    /// <param name="exporters">Where completed items go; each is isolated from the others' failures.</param>
    /// <param name="options">Batching and queue settings (defaults when null).</param>
    /// <param name="time">The clock for the flush interval and export deadlines (system clock when null).</param>
    public TracePipeline(IEnumerable<ITraceExporter> exporters, PipelineOptions? options = null, TimeProvider? time = null)
        : this(exporters, options, time, null) { }

    /// <summary>
    /// A pipeline that also hands every completed trace to <paramref name="completedSink"/> on the fold thread itself
    /// (no queue, no thread hop). The sink must be quick and must not block; its exceptions are caught and counted as
    /// subscriber errors.
    /// </summary>
    internal TracePipeline(IEnumerable<ITraceExporter> exporters, PipelineOptions? options, TimeProvider? time,
        Action<Trace>? completedSink)
    {
        this.completedSink = completedSink;
        ArgumentNullException.ThrowIfNull(exporters);
        Options = options ?? PipelineOptions.Default;
        this.time = time ?? TimeProvider.System;
        Counters = new PipelineCounters();
        inbox = new EventInbox(Options.EventQueueCapacity, Counters);
        events = new IsolatedSubject<TraceEvent>("Events", Options.SubscriberQueueCapacity, Counters);
        completed = new IsolatedSubject<Trace>("CompletedTraces", Options.SubscriberQueueCapacity, Counters);
        outputs = new IsolatedSubject<Output>("Outputs", Options.SubscriberQueueCapacity, Counters);
        export = new ExportStage(exporters.Where(e => e is not null).ToArray(), Options, this.time, Counters,
            trace => MessagesFormatCheck.Check(trace, w => { Counters.MessageFormatWarning(); SelfLog.Write(w); }));

        var steps = folded
            .Scan(Step.Initial, static (step, e) => TraceReducer.Apply(step.State, e))
            .Publish();
        steps.Subscribe(Route, ex => SelfLog.Write($"the fold stopped: {ex.Message}"));
        connection = steps.Connect();

        export.Start();
        using (ExecutionContext.SuppressFlow()) reader = Task.Run(ReadAsync);
    }

    /// <summary>The validated settings.</summary>
    public PipelineOptions Options { get; }

    /// <summary>The cumulative counters.</summary>
    public PipelineCounters Counters { get; }

    /// <summary>Every event, in fold order, delivered to each subscriber on its own queue.</summary>
    public IObservable<TraceEvent> Events => events;

    /// <summary>Every completed trace, delivered to each subscriber on its own queue.</summary>
    public IObservable<Trace> CompletedTraces => completed;

    /// <summary>Every reducer output (starts, ends, completions, rejections), for processors.</summary>
    public IObservable<Output> Outputs => outputs;

    /// <summary>Traces that have started and not yet finished (as of the fold's last step).</summary>
    public int OpenTraceCount => Volatile.Read(ref state).Count;

    /// <summary>Events and items not yet exported.</summary>
    public long Pending => inbox.Count + export.Pending;

    /// <summary>
    /// Offers an event. Never blocks and never throws: returns <c>false</c> (and counts the drop) when the inbox is
    /// full or the pipeline is shut down.
    /// </summary>
    public bool Post(TraceEvent e) => e is not null && inbox.Post(e);

    /// <summary>Offers an event in its inbox form (the facade's allocation-free path for starts and ends).</summary>
    internal bool Post(in InboxEntry entry) => inbox.Post(entry);

    /// <summary>
    /// Waits until every event posted before the call has been folded and its results exported, or until
    /// <paramref name="timeout"/> passes. Never throws.
    /// </summary>
    public async Task<FlushResult> FlushAsync(TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completedInTime = false;
        if (inbox.PostControl(new FlushControl(done)))
        {
            try
            {
                await done.Task.WaitAsync(timeout, time).ConfigureAwait(false);
                completedInTime = true;
            }
            catch (TimeoutException) { }
        }
        else if (shutdown is not null)
        {
            completedInTime = shutdown.IsCompleted;
        }
        return Result(completedInTime);
    }

    /// <summary>
    /// Stops accepting events, folds and exports everything already posted, then shuts the exporters down, all within
    /// <paramref name="timeout"/>; what is left at the deadline is dropped and counted. Idempotent; never throws.
    /// </summary>
    public async Task<FlushResult> ShutdownAsync(TimeSpan timeout)
    {
        var first = false;
        lock (folded)
        {
            if (shutdown is null) { shutdown = RunShutdownAsync(); first = true; }
        }
        var task = shutdown;
        var inTime = false;
        try
        {
            await task.WaitAsync(timeout, time).ConfigureAwait(false);
            inTime = true;
        }
        catch (TimeoutException)
        {
            if (first) export.Abort();
        }
        return Result(inTime);
    }

    async Task RunShutdownAsync()
    {
        inbox.Close();
        inbox.PostControl(new ShutdownControl());
        await reader.ConfigureAwait(false);
        await export.CompleteAsync().ConfigureAwait(false);
        await Task.WhenAll(events.DrainAsync(), completed.DrainAsync(), outputs.DrainAsync()).ConfigureAwait(false);
    }

    FlushResult Result(bool completedInTime)
    {
        var health = Counters.Snapshot();
        return new FlushResult(completedInTime, health.Exported, health.Dropped, Pending, health);
    }

    /// <summary>Shuts the pipeline down with a 10 second deadline.</summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

    async Task ReadAsync()
    {
        try
        {
            while (await inbox.WaitToReadAsync().ConfigureAwait(false))
            {
                // Drain what is already queued without an await per item.
                while (inbox.TryRead(out var entry))
                {
                    if (entry.Kind == EntryKind.Control) Handle(entry.Ref);
                    else if (entry.ToEvent() is { } e) Fold(e);
                }
            }
        }
        catch (Exception ex) { SelfLog.Write($"the pipeline reader stopped: {ex.Message}"); }
        finally
        {
            connection.Dispose();
            events.Complete();
            completed.Complete();
            outputs.Complete();
        }
    }

    void Fold(TraceEvent e)
    {
        try { folded.OnNext(e); }
        catch (Exception ex) { SelfLog.Write($"folding {e.GetType().Name} failed: {ex.Message}"); }
        events.Publish(e);
    }

    void Handle(object? control)
    {
        switch (control)
        {
            case FlushControl f:
                export.RequestFlush(f.Done);
                break;
            case ShutdownControl:
                inbox.Complete();
                break;
        }
    }

    void Sink(Trace trace)
    {
        try { completedSink!(trace); }
        catch (Exception ex)
        {
            Counters.SubscriberError();
            SelfLog.Write($"the completed-trace sink threw {ex.GetType().Name}: {ex.Message}");
        }
    }

    void Route(Step step)
    {
        Volatile.Write(ref state, step.State);
        for (var i = 0; i < step.OutputCount; i++)
        {
            var o = step.OutputAt(i);
            switch (o)
            {
                case Output.TraceCompleted c:
                    Counters.TraceCompleted();
                    export.Add(c.Trace);
                    if (completedSink is not null) Sink(c.Trace);
                    completed.Publish(c.Trace);
                    break;
                case Output.SpanCompleted { AfterTrace: true } late:
                    export.Add(late.Span);
                    break;
                case Output.ScoreSubmitted s:
                    export.Add(s.Score);
                    break;
                case Output.Rejected r:
                    Counters.Rejected(r.Reason);
                    SelfLog.Write($"rejected {r.Event.GetType().Name}: {r.Detail}");
                    break;
                case Output.Adjusted a:
                    Counters.Adjusted();
                    SelfLog.Write($"adjusted {a.Field}: {a.Detail}");
                    break;
            }
            if (outputs.HasSubscribers) outputs.Publish(o);
        }
    }
}
