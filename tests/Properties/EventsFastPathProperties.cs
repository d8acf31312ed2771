using FsCheck;
using FsCheck.Fluent;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Properties.Checks;

namespace PandaProbe.Properties;

/// <summary>
/// Events cost what someone uses (issue 22): without a subscriber, setters skip the clock and fold into their span's
/// cell alone. The claim: for any script of facade calls, a subscriber to <c>Events</c> sees exactly one event per
/// call, in the calls' order, and the exported trace is the same whether or not anyone subscribed.
/// </summary>
public class EventsFastPathProperties
{
    /// <summary>Runs a script of facade calls chosen by <paramref name="plan"/>; returns the event each call raises, in order.</summary>
    static List<string> Script(PandaProbeClient client, byte[] plan)
    {
        var expected = new List<string> { nameof(TraceEvent.TraceStarted) };
        using (var trace = client.StartTrace("t"))
        {
            var open = new Stack<SpanContext>();
            foreach (var b in plan)
            {
                if (open.Count == 0 || b % 9 == 0)
                {
                    open.Push(trace.Span($"s{expected.Count}", SpanType.Tool));
                    expected.Add(nameof(TraceEvent.SpanStarted));
                    continue;
                }
                var span = open.Peek();
                switch (b % 9)
                {
                    case 1: span.SetInput(new { b }); expected.Add(nameof(TraceEvent.InputSet)); break;
                    case 2: span.SetOutput($"out {b}"); expected.Add(nameof(TraceEvent.OutputSet)); break;
                    case 3: span.SetModel($"m{b}"); expected.Add(nameof(TraceEvent.ModelSet)); break;
                    case 4: span.SetTokenUsage(b, 2 * b); expected.Add(nameof(TraceEvent.TokensSet)); break;
                    case 5: span.SetCost(b / 100.0); expected.Add(nameof(TraceEvent.CostSet)); break;
                    case 6: span.SetMetadata(new Dictionary<string, object?> { [$"k{b % 3}"] = b }); expected.Add(nameof(TraceEvent.MetadataMerged)); break;
                    case 7: span.SetError($"e{b}"); expected.Add(nameof(TraceEvent.Errored)); break;
                    default: open.Pop().End(); expected.Add(nameof(TraceEvent.SpanEnded)); break;
                }
            }
            while (open.Count > 0) { open.Pop().End(); expected.Add(nameof(TraceEvent.SpanEnded)); }
            trace.SetOutput("done");
            expected.Add(nameof(TraceEvent.OutputSet));
        }
        expected.Add(nameof(TraceEvent.TraceEnded));
        return expected;
    }

    static PandaProbeClient Client(ITraceExporter exporter) => new(new PandaProbeOptions
    {
        Enabled = true, Exporters = { exporter }, RegisterProcessExitHandler = false,
        EnvironmentVariables = new Dictionary<string, string?>(),
    });

    /// <summary>A trace without its ids and times.</summary>
    static string Content(TraceRecord t) =>
        string.Join("\n", t.Spans.Select(s => $"{s.Name} {s.Status} {s.Input} {s.Output} {s.Model} {s.Tokens?.Prompt} {s.Cost?.Total} " +
            $"{s.Error?.Message} {string.Join(",", s.Metadata.Map(kv => $"{kv.Key}={kv.Value}"))} {(s.Parent is null ? "-" : t.Spans.Single(p => p.Id == s.Parent).Name)}"))
        + $"\n{t.Status} {t.Output}";

    [TraceProperty(AtMost = 60)]
    public Property A_subscriber_sees_one_event_per_call_in_order_and_the_trace_is_the_same_without_one(byte[] plan)
    {
        plan ??= [];
        var seen = new List<TraceEvent>();
        var observed = new InMemoryTraceExporter();
        List<string> expected;
        var watched = Client(observed);
        using (watched.Events.Subscribe(e => { lock (seen) seen.Add(e); }))
        {
            expected = Script(watched, plan);
            watched.ShutdownAsync().GetAwaiter().GetResult();   // drains the subscriber's queue
        }
        var quiet = new InMemoryTraceExporter();
        var unwatched = Client(quiet);
        Script(unwatched, plan);
        unwatched.ShutdownAsync().GetAwaiter().GetResult();

        var names = seen.Select(e => e.GetType().Name).ToList();
        var a = observed.Traces.Single();
        var b = quiet.Traces.Single();
        return Claim.All(
        [
            (names.SequenceEqual(expected), $"saw {string.Join(",", names)}; the calls were {string.Join(",", expected)}"),
            (Content(a) == Content(b), "the trace differs with and without a subscriber"),
            (a.Spans.Count == expected.Count(n => n == nameof(TraceEvent.SpanStarted)), "a span is missing"),
        ], () => $"{plan.Length} steps");
    }
}
