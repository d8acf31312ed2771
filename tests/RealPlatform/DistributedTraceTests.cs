using System.Diagnostics;
using PandaProbe.Model;
using PandaProbe.RealPlatform.Support;
using Xunit;
using Xunit.Abstractions;
using static PandaProbe.RealPlatform.Support.PlatformSdk;

namespace PandaProbe.RealPlatform;

/// <summary>
/// A distributed trace against the real platform: two clients stand for two services. Service A's LLM span calls
/// service B, handing it <c>traceparent</c> and <c>tracestate</c> by hand; B's trace continues A's. B is flushed first,
/// so its spans reach the platform before A's trace exists (404, retried as ingestion lag); then A. PostgreSQL must
/// hold one trace, A's, with A's fields, and B's trace as a CHAIN span under A's LLM span with B's tool span beneath.
/// </summary>
[Collection(RealPlatformCollection.Name)]
public sealed class DistributedTraceTests(RealPlatformFixture platform, ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan StoreBound = TimeSpan.FromSeconds(60);

    readonly string spools = Path.Combine(SpoolRoot, Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(spools, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    string Spool() => Path.Combine(spools, Guid.NewGuid().ToString("N"));

    void Say(string line) => output.WriteLine(line);

    static readonly object OrderInput = new { messages = new[] { new { role = "user", content = "Buy the blue kettle." } } };
    static readonly object OrderOutput = new { messages = new[] { new { role = "assistant", content = "Ordered; paid 42.50 EUR." } } };
    static readonly object WorkerInput = new { order = 1017, amount = 42.5, currency = "EUR" };
    static readonly object WorkerOutput = new { status = "paid" };

    sealed record ServiceB(bool Parsed, TraceContext Trace, SpanContext Tool);

    /// <summary>Service B: continues the caller's trace from the two headers, with one tool span.</summary>
    static ServiceB RunServiceB(PandaProbeClient client, string? traceParent, string? traceState)
    {
        var parsed = ActivityContext.TryParse(traceParent, traceState, out var context);
        var trace = client.StartTrace("worker", input: WorkerInput,
            metadata: new Dictionary<string, object?> { ["service"] = "payments" }, parentContext: context);
        SpanContext tool;
        using (trace)
        {
            tool = trace.Span("charge card", SpanType.Tool);
            using (tool)
            {
                tool.SetInput(new { card = "visa-4242", amount = 42.5 });
                tool.SetOutput(new { charged = true, receipt = "r-77" });
            }
            trace.SetOutput(WorkerOutput);
        }
        return new ServiceB(parsed, trace, tool);
    }

    [RealPlatformFact]
    public async Task A_trace_continued_by_another_service_is_stored_as_one_trace_with_the_callee_under_the_calling_span()
    {
        var stack = platform.Require();
        var project = Project("distributed-e2e");
        var logA = new RequestLog();
        var logB = new RequestLog();
        // A sends only when flushed (its interval is long), so B's spans are sure to arrive first.
        await using var clientA = Client(stack, project, logA, Spool(), o => o.FlushInterval = TimeSpan.FromMinutes(10));
        await using var clientB = Client(stack, project, logB, Spool());

        var traceA = clientA.StartTrace("checkout", input: OrderInput, metadata: new Dictionary<string, object?> { ["service"] = "shop" });
        SpanContext llm;
        ServiceB b;
        string? traceParent, traceState;
        using (traceA)
        {
            llm = traceA.Span("decide", SpanType.Llm, model: "gpt-4o-mini");
            using (llm)
            {
                llm.SetInput(OrderInput);
                traceParent = llm.TraceParent;
                traceState = llm.TraceState;
                // Another service: no ambient PandaProbe state of A's flows into it, only the two headers.
                Task<ServiceB> call;
                using (ExecutionContext.SuppressFlow()) call = Task.Run(() => RunServiceB(clientB, traceParent, traceState));
                b = await call;
                llm.SetOutput(OrderOutput);
            }
            traceA.SetOutput(OrderOutput);
        }
        Say($"traceparent {traceParent}, tracestate {traceState}");
        Assert.True(b.Parsed, $"ActivityContext.TryParse refused traceparent '{traceParent}' / tracestate '{traceState}'");
        Assert.Equal(traceA.TraceId, b.Trace.TraceId);
        // The span that stands for B's trace in A's: B's trace records it (SpanContext.ParentId of B's top-level span
        // stays null: it has no parent span in B's own process).
        var completedB = b.Trace.Completed ?? throw new Xunit.Sdk.XunitException("B's trace has not completed");
        var standIn = completedB.ContinuationSpan?.Value ?? throw new Xunit.Sdk.XunitException("B's trace did not continue A's: it has no continuation span");
        Assert.Equal(llm.SpanId, completedB.ContinuationParent?.Value);
        Assert.NotEqual(llm.SpanId, standIn);
        Assert.Equal(standIn, Assert.Single(completedB.Spans).Parent?.Value);

        // B first: its spans meet a 404 while A's trace is not stored, and are retried; then A.
        var spansPath = $"/traces/{traceA.TraceId}/spans";
        Assert.Empty(logA.Requests);
        var drainB = DrainAsync(clientB, line => Say("B" + line));
        var lagged = await logB.WaitForAsync(q => q.Path == spansPath && q.Status == 404, TimeSpan.FromSeconds(20));
        Assert.Empty(logA.Requests);
        var lastA = await DrainAsync(clientA, line => Say("A" + line));
        var lastB = await drainB;
        Report(logA, Say, "A");
        Report(logB, Say, "B");
        Assert.True(lagged, "B's spans were not refused with 404 while A's trace was not stored yet");
        AssertDelivered(clientA, lastA, logA);
        AssertDelivered(clientB, lastB, logB);

        // On the wire: A posted its trace; B never did, it added its two spans to A's trace.
        Assert.Equal(1, Assert.Single(logA.Requests, q => q.Method == "POST" && q.Path == "/traces" && q.Accepted).Spans);
        Assert.DoesNotContain(logB.Requests, q => q.Path == "/traces");
        Assert.Equal(2, Assert.Single(logB.Requests, q => q.Path == spansPath && q.Accepted).Spans);

        var spans = await Stored.PollAsync(() => stack.SpansAsync(traceA.TraceId), s => s.Count >= 3, StoreBound);

        // One trace, A's, with A's fields: B did not overwrite them.
        Assert.Equal(new[] { traceA.TraceId.ToString() }, await stack.TraceIdsAsync(project));
        var row = await stack.TraceAsync(traceA.TraceId) ?? throw new Xunit.Sdk.XunitException("A's trace was not stored");
        Assert.Equal("checkout", row.Str("name"));
        Assert.Equal("COMPLETED", row.Str("status"));
        AssertJson(OrderInput, row.GetProperty("input"), "trace.input");
        AssertJson(OrderOutput, row.GetProperty("output"), "trace.output");
        AssertJson(new { service = "shop" }, row.GetProperty("metadata"), "trace.metadata");
        AssertTime(traceA.StartedAt, row, "started_us", "trace");
        AssertTime(traceA.EndedAt, row, "ended_us", "trace");

        // A's LLM span, B's stand-in under it, B's tool span under the stand-in.
        Assert.Equal(new[] { llm.SpanId, standIn, b.Tool.SpanId }.Order(), spans.Keys.Order());
        var l = spans[llm.SpanId];
        Assert.Equal("decide", l.Str("name"));
        Assert.Equal("LLM", l.Str("kind"));
        Assert.Equal("OK", l.Str("status"));
        Assert.Null(l.Str("parent_span_id"));
        Assert.Equal("gpt-4o-mini", l.Str("model"));
        AssertJson(OrderInput, l.GetProperty("input"), "llm.input");
        AssertJson(OrderOutput, l.GetProperty("output"), "llm.output");
        AssertTime(llm.StartedAt, l, "started_us", "llm");
        AssertTime(llm.EndedAt, l, "ended_us", "llm");

        var w = spans[standIn];
        Assert.Equal("worker", w.Str("name"));
        Assert.Equal("CHAIN", w.Str("kind"));
        Assert.Equal("OK", w.Str("status"));
        Assert.Equal(llm.SpanId.ToString(), w.Str("parent_span_id"));
        Assert.Equal(traceA.TraceId.ToString(), w.Str("trace_id"));
        AssertJson(WorkerInput, w.GetProperty("input"), "stand-in.input");
        AssertJson(WorkerOutput, w.GetProperty("output"), "stand-in.output");
        AssertJson(new { service = "payments" }, w.GetProperty("metadata"), "stand-in.metadata");
        AssertTime(b.Trace.StartedAt, w, "started_us", "stand-in");
        AssertTime(b.Trace.EndedAt, w, "ended_us", "stand-in");

        var t = spans[b.Tool.SpanId];
        Assert.Equal("charge card", t.Str("name"));
        Assert.Equal("TOOL", t.Str("kind"));
        Assert.Equal("OK", t.Str("status"));
        Assert.Equal(standIn.ToString(), t.Str("parent_span_id"));
        AssertJson(new { card = "visa-4242", amount = 42.5 }, t.GetProperty("input"), "tool.input");
        AssertJson(new { charged = true, receipt = "r-77" }, t.GetProperty("output"), "tool.output");
        AssertTime(b.Tool.StartedAt, t, "started_us", "tool");
        AssertTime(b.Tool.EndedAt, t, "ended_us", "tool");
    }
}
