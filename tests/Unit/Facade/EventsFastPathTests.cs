using System.Collections.Concurrent;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Facade;

/// <summary>
/// Events cost what someone uses (issue 22): with no <c>Events</c> subscriber a setter reads no clock and its span's
/// cell alone changes; with one, every event is delivered exactly once, in an order whose fold is the trace that was
/// exported, and the trace is the same as without a subscriber.
/// </summary>
public class EventsFastPathTests
{
    const int Workers = 8, SpansEach = 6;

    /// <summary>A trace with an agent span and parallel tool spans under it, each with every kind of setter.</summary>
    static void Script(PandaProbeClient client)
    {
        using var trace = client.StartTrace("agent-run", input: "question");
        using (var agent = trace.Span("agent", SpanType.Agent))
        {
            agent.SetInput("plan");
            Parallel.For(0, Workers, new ParallelOptions { MaxDegreeOfParallelism = Workers }, w =>
            {
                for (var i = 0; i < SpansEach; i++)
                {
                    using var tool = trace.Span($"tool-{w}-{i}", SpanType.Tool, parent: agent);
                    tool.SetInput(new { w, i });
                    tool.SetModel("gpt-4o");
                    tool.SetTokenUsage(w, i);
                    tool.SetCost(0.001 * i);
                    tool.SetMetadata(new Dictionary<string, object?> { ["worker"] = w });
                    if (i % 3 == 0) tool.SetError($"failed {w}-{i}");
                    tool.SetOutput($"result {w}-{i}");
                }
            });
            agent.SetOutput("done");
        }
        trace.SetOutput("answer");
    }

    /// <summary>What a trace says, without its ids and times (which differ from run to run).</summary>
    static string Content(TraceRecord t) =>
        string.Join("\n", t.Spans.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s =>
            $"{s.Name} {s.Kind} {s.Status} {s.Input} {s.Output} {s.Model} {s.Tokens?.Prompt}/{s.Tokens?.Completion} {s.Cost?.Total} " +
            $"{s.Error?.Message} {string.Join(",", s.Metadata.Keys)} parent={(s.Parent is null ? "-" : t.Spans.Single(p => p.Id == s.Parent).Name)}"))
        + $"\n{t.Name} {t.Status} {t.Input} {t.Output}";

    [Fact]
    public async Task A_subscriber_sees_every_event_once_in_an_order_whose_fold_is_the_exported_trace()
    {
        var exporter = new RecordingExporter();
        var seen = new ConcurrentQueue<TraceEvent>();
        var client = TestClient.Create(exporter);
        using (client.Events.Subscribe(seen.Enqueue))
        {
            Script(client);
            await client.FlushAsync(TimeSpan.FromSeconds(10));
            await client.ShutdownAsync();   // drains the subscribers' queues
        }
        var exported = Assert.Single(exporter.Traces);
        var events = seen.ToList();
        // A start, an end and six setters per tool span, an error on every third; the agent's start, end and two
        // setters; the trace's start, end and output.
        var tools = Workers * SpansEach;
        var expected = tools * (2 + 6) + Workers * ((SpansEach + 2) / 3) + 4 + 3;
        Assert.Equal(expected, events.Count);
        Assert.Equal(events.Count, events.Distinct().Count());
        var fold = TraceReducer.Fold(events);
        Assert.DoesNotContain(fold.Outputs, o => o is Output.Rejected);
        var completed = Assert.Single(fold.Outputs.OfType<Output.TraceCompleted>()).Trace;
        Assert.Equal(Content(completed), Content(exported));
        Assert.Equal(completed.Spans.Select(s => s.Id).Order(), exported.Spans.Select(s => s.Id).Order());
    }

    [Fact]
    public async Task The_trace_is_the_same_with_and_without_a_subscriber()
    {
        async Task<TraceRecord> Run(bool subscribe)
        {
            var exporter = new RecordingExporter();
            var client = TestClient.Create(exporter);
            using (subscribe ? client.Events.Subscribe(_ => { }) : null)
            {
                Script(client);
                await client.ShutdownAsync();
            }
            return Assert.Single(exporter.Traces);
        }
        var fast = await Run(subscribe: false);
        var observed = await Run(subscribe: true);
        Assert.Equal(Content(observed), Content(fast));
        Assert.Equal(Workers * SpansEach + 1, fast.Spans.Count);
    }

    [Fact]
    public async Task Without_a_subscriber_a_setter_reads_no_clock_and_with_one_it_does()
    {
        var clock = new CountingClock();
        var exporter = new RecordingExporter();
        var client = TestClient.Create(o => o.TimeProvider = clock, exporter);
        using (var trace = client.StartTrace("t"))
        using (var span = trace.Span("s"))
        {
            var before = clock.Reads;
            span.SetModel("m");
            span.SetTokenUsage(1, 2);
            span.SetCost(0.5);
            trace.SetOutput("x");
            Assert.Equal(before, clock.Reads);
            var stamps = new ConcurrentQueue<DateTimeOffset>();
            using (client.Events.Subscribe(e => stamps.Enqueue(e.At)))
            {
                span.SetModel("n");
                Assert.Equal(before + 1, clock.Reads);
            }
        }
        await client.ShutdownAsync();
        Assert.Equal("n", Assert.Single(Assert.Single(exporter.Traces).Spans).Model);
    }

    sealed class CountingClock : TimeProvider
    {
        int reads;
        public int Reads => Volatile.Read(ref reads);

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Increment(ref reads);
            return base.GetUtcNow();
        }
    }
}
