using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PandaProbe.Integration.Support;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using Xunit;

namespace PandaProbe.Integration;

/// <summary>
/// One trace across two services: a request to service A (Kestrel on 127.0.0.1, ASP.NET Core and HttpClient
/// instrumentation from the OpenTelemetry SDK) starts a PandaProbe trace whose LLM span calls service B over HTTP;
/// B's PandaProbe trace continues A's. Checked on the OpenTelemetry side (one W3C trace id, every parent) and in the
/// bodies the platform double receives (B's spans added to A's trace, under the calling span; A's trace fields alone).
/// </summary>
[Collection(nameof(DistributedTraceTests))]
public sealed class DistributedTraceTests : PlatformTest
{
    PandaProbeClient Client(string service) => new(new PandaProbeOptions
    {
        RegisterProcessExitHandler = false,
        EnvironmentVariables = new Dictionary<string, string?>
        {
            [SettingNames.ApiKey] = "sk_pp_distributed",
            [SettingNames.ProjectName] = "distributed",
            [SettingNames.Endpoint] = platform.BaseUrl + "/",
            [SettingNames.Release] = service,
        },
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(5),
    });

    static async Task<WebApplication> ServeAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    static string Url(WebApplication app) => app.Urls.First();

    [Fact]
    public async Task A_request_a_trace_an_llm_span_a_call_and_the_second_services_trace_are_one_trace()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(Probe.ActivitySourceName)
            .AddAspNetCoreInstrumentation()
            .AddHttpClientInstrumentation()
            .AddInMemoryExporter(new ActivityCollection(activities))
            .Build();
        await using var serviceA = Client("service-a");
        await using var serviceB = Client("service-b");
        using var calls = new HttpClient();
        Guid traceA = default, llmSpan = default, traceB = default, toolSpan = default;

        await using var b = await ServeAsync(app => app.MapGet("/lookup", (HttpContext http) =>
        {
            using var trace = serviceB.StartTrace("lookup-service", input: new { q = http.Request.Query["q"].ToString() });
            traceB = trace.TraceId;
            using (var tool = trace.Span("search_index", SpanType.Tool))
            {
                toolSpan = tool.SpanId;
                tool.SetOutput("42");
            }
            trace.SetOutput("found 42");
            return "42";
        }));
        await using var a = await ServeAsync(app => app.MapGet("/ask", async () =>
        {
            using var trace = serviceA.StartTrace("support-agent", input: "what is the answer?");
            traceA = trace.TraceId;
            string answer;
            using (var llm = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
            {
                llmSpan = llm.SpanId;
                answer = await calls.GetStringAsync(Url(b) + "/lookup?q=answer");
                llm.SetOutput(answer);
                llm.SetTokenUsage(12, 3);
            }
            trace.SetOutput("The answer is " + answer);
            return answer;
        }));

        Assert.Equal("42", await calls.GetStringAsync(Url(a) + "/ask"));
        var flushedB = await serviceB.FlushAsync(TimeSpan.FromSeconds(15));
        var flushedA = await serviceA.FlushAsync(TimeSpan.FromSeconds(15));
        // The servers stop their request activities after the response has gone: wait for all eight to be exported.
        var until = DateTime.UtcNow.AddSeconds(15);
        while (activities.Count(x => x.Source.Name == Probe.ActivitySourceName) < 4
            || activities.Count(x => x.Kind == ActivityKind.Server && x.GetTagItem("url.path") as string is "/ask" or "/lookup") < 2)
        {
            if (DateTime.UtcNow > until) break;
            await Task.Delay(20);
        }
        await a.StopAsync();
        await b.StopAsync();
        tracing.ForceFlush();

        // The platform: A's trace once, with its own fields; B's trace as spans added to it, under the LLM span.
        Assert.Equal(1, flushedA.Exported);
        Assert.Equal(1, flushedB.Exported);
        Assert.Equal(traceA, traceB);
        Assert.Empty(platform.Problems);
        var posted = Assert.Single(platform.Accepted, r => r.IsTrace);
        Assert.Equal(traceA.ToString(), posted.Json.GetProperty("trace_id").GetString());
        Assert.Equal("support-agent", posted.Json.GetProperty("name").GetString());
        Assert.Equal("service-a", posted.Json.GetProperty("release").GetString());
        var added = Assert.Single(platform.Accepted, r => r.IsAddSpans);
        Assert.Equal($"/traces/{traceA}/spans", added.Route);
        var spans = added.Json.EnumerateArray().ToList();
        Assert.Equal(2, spans.Count);
        var standIn = spans.Single(s => s.GetProperty("name").GetString() == "lookup-service");
        Assert.Equal(llmSpan.ToString(), standIn.GetProperty("parent_span_id").GetString());
        Assert.Equal("CHAIN", standIn.GetProperty("kind").GetString());
        Assert.Equal("OK", standIn.GetProperty("status").GetString());
        Assert.Equal("answer", standIn.GetProperty("input").GetProperty("q").GetString());
        Assert.Equal("found 42", standIn.GetProperty("output").GetString());
        Assert.Equal("service-b", standIn.GetProperty("metadata").GetProperty("release").GetString());
        var tool = spans.Single(s => s.GetProperty("name").GetString() == "search_index");
        Assert.Equal(toolSpan.ToString(), tool.GetProperty("span_id").GetString());
        Assert.Equal(standIn.GetProperty("span_id").GetString(), tool.GetProperty("parent_span_id").GetString());

        // OpenTelemetry: one W3C trace id from A's request to B's tool span, each activity under the one before.
        var agent = activities.Single(x => x.Source.Name == Probe.ActivitySourceName && x.DisplayName == "support-agent");
        var w3c = agent.TraceId;
        var mine = activities.Where(x => x.TraceId == w3c).ToList();
        Activity One(Func<Activity, bool> match) => Assert.Single(mine, x => match(x));
        var requestA = One(x => x.Kind == ActivityKind.Server && x.GetTagItem("url.path") as string == "/ask");
        var generate = One(x => x.Source.Name == Probe.ActivitySourceName && x.DisplayName == "generate");
        // Two HTTP client activities: the test's call to A (the root of everything) and A's call to B.
        var root = One(x => x.Kind == ActivityKind.Client && x.ParentSpanId == default);
        Assert.Equal(root.SpanId, requestA.ParentSpanId);
        var outgoing = One(x => x.Kind == ActivityKind.Client && x.Source.Name != Probe.ActivitySourceName && x.ParentSpanId != default);
        var requestB = One(x => x.Kind == ActivityKind.Server && x.GetTagItem("url.path") as string == "/lookup");
        var lookup = One(x => x.Source.Name == Probe.ActivitySourceName && x.DisplayName == "lookup-service");
        var search = One(x => x.Source.Name == Probe.ActivitySourceName && x.DisplayName == "search_index");
        Assert.Equal(requestA.SpanId, agent.ParentSpanId);
        Assert.Equal(agent.SpanId, generate.ParentSpanId);
        Assert.Equal(generate.SpanId, outgoing.ParentSpanId);
        Assert.Equal(outgoing.SpanId, requestB.ParentSpanId);
        Assert.Equal(requestB.SpanId, lookup.ParentSpanId);
        Assert.Equal(lookup.SpanId, search.ParentSpanId);
        // The documented id mapping: a span's UUID starts with its activity's span id.
        Assert.StartsWith(generate.SpanId.ToHexString(), llmSpan.ToString("N"));
        Assert.StartsWith(search.SpanId.ToHexString(), toolSpan.ToString("N"));
        Assert.Equal("chat", generate.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("gpt-4o", generate.GetTagItem("gen_ai.request.model"));
        Assert.Equal(12L, generate.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(ActivityKind.Client, generate.Kind);
        Assert.Equal("execute_tool", search.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("search_index", search.GetTagItem("gen_ai.tool.name"));
        Assert.Equal(8, mine.Count);   // those seven and the test's own call
    }

    [Fact]
    public async Task A_continuation_waits_for_its_upstream_trace_to_be_stored()
    {
        // The platform answers 404 to spans of a trace it has not stored (its ingestion lag): the continuation's spans
        // are retried until the upstream trace arrives.
        var stored = new ConcurrentDictionary<string, bool>();
        platform.Script = r =>
        {
            if (r.IsTrace) { stored[r.Json.GetProperty("trace_id").GetString()!] = true; return Reply.Accept; }
            if (r.IsAddSpans && !stored.ContainsKey(r.Route.Split('/')[2])) return Reply.Status(404, "{\"detail\":\"Trace not found\"}");
            return Reply.Accept;
        };
        await using var upstream = Client("up");
        await using var downstream = Client("down");
        using var trace = upstream.StartTrace("orchestrator");
        using var call = trace.Span("call-worker", SpanType.Tool);

        // Propagated by hand, as through a queue message.
        Assert.True(ActivityContext.TryParse(call.TraceParent, call.TraceState, out var context));
        using (var worker = downstream.StartTrace("worker", parentContext: context))
        {
            Assert.Equal(trace.TraceId, worker.TraceId);
            using var step = worker.Span("step", SpanType.Chain);
        }
        var early = downstream.FlushAsync(TimeSpan.FromSeconds(20));
        await platform.Arrival(r => r.IsAddSpans);   // refused: the upstream trace is not there yet
        call.End();
        trace.End();
        Assert.Equal(1, (await upstream.FlushAsync(TimeSpan.FromSeconds(15))).Exported);
        var flushed = await early;

        Assert.Equal(1, flushed.Exported);
        var added = platform.Accepted.Single(r => r.IsAddSpans).Json.EnumerateArray().ToList();
        Assert.Equal(call.SpanId.ToString(), added.Single(s => s.GetProperty("name").GetString() == "worker").GetProperty("parent_span_id").GetString());
        Assert.Single(platform.Accepted, r => r.IsTrace);
    }

    [Fact]
    public async Task A_continuation_whose_upstream_trace_is_still_running_posts_a_placeholder_the_upstream_replaces()
    {
        var stored = new ConcurrentDictionary<string, bool>();
        platform.Script = r =>
        {
            if (r.IsTrace) { stored[r.Json.GetProperty("trace_id").GetString()!] = true; return Reply.Accept; }
            if (r.IsAddSpans && !stored.ContainsKey(r.Route.Split('/')[2])) return Reply.Status(404, "{\"detail\":\"Trace not found\"}");
            return Reply.Accept;
        };
        await using var upstream = Client("up");
        await using var downstream = Client("down");
        using var trace = upstream.StartTrace("long-agent", input: "plan a trip");
        using var call = trace.Span("call-worker", SpanType.Tool);
        Assert.True(ActivityContext.TryParse(call.TraceParent, call.TraceState, out var context));
        using (var worker = downstream.StartTrace("worker", parentContext: context)) { }

        // The upstream trace runs on: after the ingestion lag's retries, the continuation posts a placeholder trace.
        var flushed = await downstream.FlushAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, flushed.Exported);
        var placeholder = Assert.Single(platform.Accepted, r => r.IsTrace).Json;
        Assert.Equal(trace.TraceId.ToString(), placeholder.GetProperty("trace_id").GetString());
        Assert.Equal("RUNNING", placeholder.GetProperty("status").GetString());
        Assert.False(placeholder.TryGetProperty("input", out _));
        Assert.False(placeholder.TryGetProperty("metadata", out _));   // merged on the platform: it would outlive the upsert
        Assert.Single(platform.Accepted, r => r.IsAddSpans);

        // When the upstream trace ends, its own upsert carries every field.
        call.End();
        trace.End();
        Assert.Equal(1, (await upstream.FlushAsync(TimeSpan.FromSeconds(15))).Exported);
        var real = platform.Accepted.Where(r => r.IsTrace).Last().Json;
        Assert.Equal("long-agent", real.GetProperty("name").GetString());
        Assert.Equal("COMPLETED", real.GetProperty("status").GetString());
        Assert.Equal("plan a trip", real.GetProperty("input").GetString());
    }

    /// <summary>The in-memory exporter's collection, thread-safe (the exporter adds from the export thread).</summary>
    sealed class ActivityCollection(ConcurrentQueue<Activity> queue) : ICollection<Activity>
    {
        public int Count => queue.Count;
        public bool IsReadOnly => false;
        public void Add(Activity item) => queue.Enqueue(item);
        public void Clear() => queue.Clear();
        public bool Contains(Activity item) => queue.Contains(item);
        public void CopyTo(Activity[] array, int arrayIndex) => queue.ToArray().CopyTo(array, arrayIndex);
        public bool Remove(Activity item) => throw new NotSupportedException();
        public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)queue).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>A tracer provider listens process-wide: these tests run alone, beside no other test class.</summary>
[CollectionDefinition(nameof(DistributedTraceTests), DisableParallelization = true)]
public sealed class DistributedTraceCollection;
