using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Exporters;
using PandaProbe.Serialization;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>
/// Model-based test of the facade against the reducer. A plan (an array of small ints, so FsCheck shrinks it for free)
/// is run twice: through the real facade (<see cref="PandaProbeClient"/>, <see cref="TraceContext"/>,
/// <see cref="SpanContext"/>, ambient parenting, exporters) and through a model that holds its own ambient stack and
/// writes down the events the facade should post. After every step the facade's observable state (open spans, parents,
/// the current span) must equal the model's; at the end the exported traces and late spans must equal the reducer's
/// fold of the model's events.
/// </summary>
public class FacadeModelProperties
{
    sealed class SteppingClock : TimeProvider
    {
        DateTimeOffset now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => now;
        public void Tick() => now = now.AddMilliseconds(1);
    }

    /// <summary>The model's view of one span: the facade handle (for its ids), whether it is open, and its model node.</summary>
    sealed record ModelSpan(SpanContext Handle, bool Current)
    {
        public bool Open { get; set; } = true;
    }

    [TraceProperty(AtMost = 100)]
    public Property The_facade_posts_exactly_the_events_the_model_expects_and_exports_their_fold(int[] plan) =>
        Task.Run(() => RunPlan(plan)).GetAwaiter().GetResult();

    static Property RunPlan(int[] plan)
    {
        var clock = new SteppingClock();
        var memory = new InMemoryTraceExporter();
        var options = new PandaProbeOptions
        {
            EnvironmentVariables = new Dictionary<string, string?>(),
            RegisterProcessExitHandler = false,
            TimeProvider = clock,
            Exporters = { memory },
        };
        var client = new PandaProbeClient(options);
        var expected = new List<TraceEvent>();
        var spans = new List<ModelSpan>();
        var stack = new List<ModelSpan>();   // the model's ambient stack (current = last open, pushed with makeCurrent)

        ModelSpan? ModelCurrent() => stack.LastOrDefault(s => s.Open);

        var trace = client.StartTrace("model-trace", input: "start", sessionId: "s-1", tags: ["p"]);
        expected.Add(new TraceStarted(new TraceId(trace.TraceId), "model-trace", clock.GetUtcNow(),
            Payload.Text("start"), "s-1", null, LanguageExt.Prelude.Seq1("p")));

        foreach (var raw in plan)
        {
            clock.Tick();
            var op = Math.Abs(raw % 10);
            var pick = Math.Abs(raw / 10);
            var open = spans.Where(s => s.Open).ToList();
            ModelSpan? target = open.Count == 0 ? null : open[pick % open.Count];
            var now = clock.GetUtcNow();
            var traceId = new TraceId(trace.TraceId);
            switch (op)
            {
                case 0:
                case 1:
                {
                    var makeCurrent = op == 0;
                    var explicitParent = op == 1 ? target : null;
                    var handle = trace.Span($"span-{spans.Count}", (SpanType)(pick % 7), parent: explicitParent?.Handle, makeCurrent: makeCurrent);
                    var parent = explicitParent ?? ModelCurrent();
                    if (handle.ParentId != parent?.Handle.SpanId) return false.Label($"parent of span-{spans.Count}");
                    expected.Add(new SpanStarted(traceId, new SpanId(handle.SpanId), parent is null ? null : new SpanId(parent.Handle.SpanId),
                        $"span-{spans.Count}", (SpanType)(pick % 7), now));
                    var m = new ModelSpan(handle, makeCurrent);
                    spans.Add(m);
                    if (makeCurrent) stack.Add(m);
                    break;
                }
                case 2 when target is not null:
                    target.Handle.SetInput($"in-{pick}");
                    expected.Add(new InputSet(traceId, new SpanId(target.Handle.SpanId), Payload.Text($"in-{pick}"), now));
                    break;
                case 3 when target is not null:
                    target.Handle.SetTokenUsage(pick, pick % 13, new Dictionary<string, long> { ["reasoning_tokens"] = pick % 5 });
                    expected.Add(new TokensSet(traceId, new SpanId(target.Handle.SpanId),
                        TokenUsage.Of(pick, pick % 13, [("reasoning_tokens", (long)(pick % 5))]), now));
                    break;
                case 4 when target is not null:
                    target.Handle.SetCost(pick / 1000.0);
                    expected.Add(new CostSet(traceId, new SpanId(target.Handle.SpanId), Cost.Of(pick / 1000.0), now));
                    break;
                case 5 when target is not null:
                {
                    var ex = new InvalidOperationException($"failure {pick}");
                    target.Handle.Fail(ex);
                    expected.Add(new Errored(traceId, new SpanId(target.Handle.SpanId), ErrorInfo.From(ex), now));
                    break;
                }
                case 6 when target is not null:
                case 7 when target is not null:
                {
                    var victim = op == 7 ? (ModelCurrent() ?? target) : target;
                    victim.Handle.End();
                    victim.Open = false;
                    expected.Add(new SpanEnded(traceId, new SpanId(victim.Handle.SpanId), now));
                    break;
                }
                case 8:
                {
                    var md = new Dictionary<string, object?> { [$"k{pick % 3}"] = pick };
                    trace.SetMetadata(md);
                    expected.Add(new MetadataMerged(traceId, null, PayloadCapture.CaptureMap(md, out _), now));
                    break;
                }
                case 9:
                    trace.SetOutput(pick);
                    expected.Add(new OutputSet(traceId, null, PayloadCapture.Capture(pick), now));
                    break;
            }
            // The facade's ambient state agrees with the model after every step.
            var current = Probe.CurrentSpan;
            if (current?.SpanId != ModelCurrent()?.Handle.SpanId) return false.Label("current span differs");
            if (spans.Any(s => s.Handle.EndedAt.HasValue == s.Open)) return false.Label("open/ended state differs");
        }

        // End the trace with some spans still open (they become late spans), then end those in reverse order.
        clock.Tick();
        trace.End();
        expected.Add(new TraceEnded(new TraceId(trace.TraceId), clock.GetUtcNow()));
        foreach (var s in spans.Where(s => s.Open).Reverse().ToList())
        {
            clock.Tick();
            s.Handle.End();
            s.Open = false;
            expected.Add(new SpanEnded(new TraceId(trace.TraceId), new SpanId(s.Handle.SpanId), clock.GetUtcNow()));
        }
        var result = client.ShutdownAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        var fold = TraceReducer.Fold(expected);
        var expectedTraces = fold.Outputs.OfType<Output.TraceCompleted>().Select(o => o.Trace).ToArray();
        var expectedLate = fold.Outputs.OfType<Output.SpanCompleted>().Where(o => o.AfterTrace).Select(o => o.Span).ToArray();
        var rejected = fold.Outputs.OfType<Output.Rejected>().Count();

        return (result.Completed
                && memory.Traces.SequenceEqual(expectedTraces)
                && memory.LateSpans.SequenceEqual(expectedLate)
                && rejected == 0
                && result.Health.Rejections.Values.Sum() == 0)
            .Label($"completed={result.Completed} traces={memory.Traces.Count}/{expectedTraces.Length} " +
                   $"late={memory.LateSpans.Count}/{expectedLate.Length} modelRejections={rejected} " +
                   $"facadeRejections={result.Health.Rejections.Values.Sum()} equal={memory.Traces.SequenceEqual(expectedTraces)}");
    }
}
