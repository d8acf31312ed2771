using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;

namespace PandaProbe.Extensions.Tests.Activities;

/// <summary>
/// What the gen_ai ingestion refuses or reshapes: a bare <c>*</c>, transport sources, activities that are not gen_ai
/// work opening traces, binary message parts, the Agent Framework's source rule, and its race with disposal.
/// Listeners are process-wide, so these tests run in the process-wide collection.
/// </summary>
[Collection(ProcessWide.Name)]
public class GenAiActivityIngestionRulesTests
{
    const string StateKey = "PandaProbe.GenAiActivityIngestion";

    static ChatResponse Answer(string text = "Hello!") => new(new ChatMessage(ChatRole.Assistant, text))
    {
        ModelId = "gpt-4o-2024-08-06",
        ResponseId = "resp_1",
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
    };

    static IChatClient Otel(IChatClient inner) =>
        new ChatClientBuilder(inner).UseOpenTelemetry(configure: c => c.EnableSensitiveData = true).Build();

    static List<JsonElement> Spans(JsonElement trace) =>
        trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();

    static int SpanCount(JsonElement trace) => trace.TryGetProperty("spans", out var spans) ? spans.GetArrayLength() : 0;

    static Dictionary<string, long> Tokens(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    public void A_bare_star_is_rejected(string source)
    {
        var (client, _) = Clients.InMemory();
        var error = Assert.Throws<ArgumentException>(() => client.IngestGenAiActivities("MyApp.AI", source));
        Assert.Equal("additionalSources", error.ParamName);
    }

    [Fact]
    public async Task Http_and_AspNetCore_sources_are_never_ingested_even_when_named()
    {
        var (client, exporter) = Clients.InMemory();
        using var http = new ActivitySource("System.Net.Http");
        using var aspNetCore = new ActivitySource("Microsoft.AspNetCore.Hosting");
        using (var ingestion = (GenAiActivityIngestion)client.IngestGenAiActivities("System.Net.Http*", "Microsoft.AspNetCore*"))
        {
            Assert.Contains("System.Net.Http*", ingestion.Sources);
            // Named as gen_ai work would be, with no trace open: still never a trace (the exporter's own requests
            // would otherwise each open one, exported by another request, forever).
            using (http.StartActivity("chat gpt-4o")) { }
            using (aspNetCore.StartActivity("invoke_agent planner")) { }
            using (client.StartTrace("turn"))
            using (http.StartActivity("System.Net.Http.HttpRequestOut")) { }
        }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("turn", trace.Str("name"));
        Assert.Equal(0, SpanCount(trace));
    }

    [Fact]
    public async Task A_real_HttpClient_request_inside_an_open_trace_is_not_ingested()
    {
        var (client, exporter) = Clients.InMemory();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        using var http = new HttpClient();
        using (client.IngestGenAiActivities("System.Net.Http"))
        using (client.StartTrace("turn"))
        {
            try { await http.GetAsync(new Uri(server.Endpoint, "/v1/models")); }
            catch (HttpRequestException) { }
        }

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(0, SpanCount(trace));
    }

    [Fact]
    public async Task A_non_gen_ai_activity_with_no_trace_open_is_ignored_and_its_gen_ai_children_are_roots()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Contoso.Jobs");
        var chat = Otel(new FakeChatClient { Response = Answer() });
        using (client.IngestGenAiActivities("Contoso.*"))
        using (var batch = source.StartActivity("process batch"))
        {
            Assert.NotNull(batch);
            await chat.GetResponseAsync("one");
            await chat.GetResponseAsync("two");
        }

        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(2, traces.Count);
        Assert.All(traces, t =>
        {
            Assert.Equal("chat", t.Str("name"));
            Assert.Equal("LLM", Clients.SingleSpan(t).Str("kind"));
        });
    }

    [Fact]
    public async Task A_non_gen_ai_activity_inside_an_open_trace_is_still_a_CHAIN_span()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Contoso.Jobs");
        var chat = Otel(new FakeChatClient { Response = Answer() });
        using (client.IngestGenAiActivities("Contoso.*"))
        using (client.StartTrace("turn"))
        using (source.StartActivity("process batch"))
            await chat.GetResponseAsync("one");

        var spans = Spans(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal(["process batch:CHAIN", "chat:LLM"], spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}"));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
    }

    [Theory]
    [InlineData("invoke_workflow onboarding", null)]
    [InlineData("onboarding", "invoke_workflow")]
    public async Task A_gen_ai_orchestration_activity_opens_a_trace_of_its_own(string name, string? operation)
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Contoso.Workflows");
        var chat = Otel(new FakeChatClient { Response = Answer() });
        using (client.IngestGenAiActivities("Contoso.*"))
        using (source.StartActivity(name, ActivityKind.Internal, default(ActivityContext),
                   operation is null ? null : [new("gen_ai.operation.name", operation)]))
            await chat.GetResponseAsync("one");

        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(name, trace.Str("name"));
        var spans = Spans(trace);
        Assert.Equal(["CHAIN", "LLM"], spans.Select(s => s.Str("kind")));
        Assert.Equal(spans[0].Str("span_id"), spans[1].Str("parent_span_id"));
    }

    [Fact]
    public async Task An_image_in_a_message_is_described_never_copied()
    {
        var (client, exporter) = Clients.InMemory();
        var image = new byte[3000];
        new Random(7).NextBytes(image);
        var base64 = Convert.ToBase64String(image);
        var chat = Otel(new FakeChatClient { Response = Answer("A cat.") });
        using (client.IngestGenAiActivities())
        using (client.StartTrace("turn"))
            await chat.GetResponseAsync([new ChatMessage(ChatRole.User,
                [new TextContent("What is this?"), new DataContent(image, "image/png"), new UriContent("https://example.com/cat.jpg", "image/jpeg")])]);

        var llm = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        var raw = llm.GetProperty("input").Raw();
        Assert.DoesNotContain(base64[..64], raw);
        var parts = llm.GetProperty("input").GetProperty("messages")[0].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("""{"type":"text","text":"What is this?"}""", parts[0].Raw());
        Assert.Equal("""{"type":"data","media_type":"image/png","bytes":3000}""", parts[1].Raw());
        Assert.Equal("""{"type":"uri","media_type":"image/jpeg","uri":"https://example.com/cat.jpg"}""", parts[2].Raw());
    }

    [Fact]
    public async Task A_chat_activity_of_a_user_source_with_Agents_in_its_name_is_an_LLM_span()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("MyCo.Agents.Chat");
        using (client.IngestGenAiActivities("MyCo.*"))
        using (var activity = source.StartActivity("chat gpt-4o"))
        {
            activity!.SetTag("gen_ai.request.model", "gpt-4o");
            activity.SetTag("gen_ai.usage.input_tokens", 7);
            activity.SetTag("gen_ai.usage.output_tokens", 3);
        }

        var llm = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("LLM", llm.Str("kind"));
        Assert.Equal("chat", llm.Str("name"));
        Assert.Equal(10, Tokens(llm.GetProperty("token_usage"))["total_tokens"]);
    }

    [Fact]
    public async Task An_Agent_Framework_chat_activity_never_renamed_is_recorded_as_a_model_call()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Experimental.Microsoft.Agents.AI");
        using (client.IngestGenAiActivities())
        using (var activity = source.StartActivity("chat"))
        {
            activity!.SetTag("gen_ai.operation.name", "chat");
            activity.SetTag("gen_ai.request.model", "gpt-4o");
            activity.SetTag("gen_ai.response.id", "resp_9");
            activity.SetTag("gen_ai.usage.input_tokens", 7);
            activity.SetTag("gen_ai.usage.output_tokens", 3);
        }

        var span = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("gpt-4o", span.Str("model"));
        Assert.Equal("resp_9", span.GetProperty("metadata").Str("response_id"));
        Assert.Equal(new Dictionary<string, long> { ["prompt_tokens"] = 7, ["completion_tokens"] = 3, ["total_tokens"] = 10 },
            Tokens(span.GetProperty("token_usage")));
        Assert.False(span.GetProperty("metadata").Has("run_token_usage"));
    }

    [Fact]
    public async Task An_agent_runs_usage_goes_to_run_token_usage_not_token_usage()
    {
        var (client, exporter) = Clients.InMemory();
        using var source = new ActivitySource("Experimental.Microsoft.Agents.AI");
        using (client.IngestGenAiActivities())
        using (var activity = source.StartActivity("chat"))
        {
            activity!.DisplayName = "invoke_agent translator";
            activity.SetTag("gen_ai.operation.name", "invoke_agent");
            activity.SetTag("gen_ai.agent.name", "translator");
            activity.SetTag("gen_ai.usage.input_tokens", 70);
            activity.SetTag("gen_ai.usage.output_tokens", 30);
        }

        var agent = Clients.SingleSpan(Assert.Single(await Clients.ExportedAsync(client, exporter)));
        Assert.Equal("AGENT", agent.Str("kind"));
        Assert.False(agent.Has("token_usage") && agent.GetProperty("token_usage").ValueKind == JsonValueKind.Object
            && agent.GetProperty("token_usage").EnumerateObject().Any());
        Assert.Equal(new Dictionary<string, long> { ["prompt_tokens"] = 70, ["completion_tokens"] = 30, ["total_tokens"] = 100 },
            Tokens(agent.GetProperty("metadata").GetProperty("run_token_usage")));
    }

    /// <summary>
    /// Disposal racing activities that start on other threads: every activity that got a span (its state is on it) must
    /// see its stop, so its trace ends and is exported. (Before, Dispose() could close the listener between a start's
    /// IsActive check and its in-flight count, and that activity's span and trace never ended.) The window is narrow, so
    /// this test can only catch the old race sometimes; the ordering argument is in GenAiActivityIngestion.OnStarted.
    /// </summary>
    [Fact]
    public async Task Disposal_racing_starts_never_leaves_a_span_open()
    {
        using var source = new ActivitySource("Contoso.Race");
        for (var round = 0; round < 40; round++)
        {
            var (client, exporter) = Clients.InMemory();
            var ingestion = client.IngestGenAiActivities("Contoso.Race");
            using var go = new Barrier(5);
            var ingested = 0;
            var starters = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                go.SignalAndWait();
                for (var i = 0; i < 25; i++)
                {
                    var activity = source.StartActivity("chat gpt-4o");
                    if (activity is null) continue;
                    if (activity.GetCustomProperty(StateKey) is not null) Interlocked.Increment(ref ingested);
                    Thread.SpinWait(50);
                    activity.Stop();
                }
            })).ToList();
            var disposer = Task.Run(() =>
            {
                go.SignalAndWait();
                Thread.SpinWait(2000 * (round % 8));
                ingestion.Dispose();
            });
            await Task.WhenAll([.. starters, disposer]);

            var exported = await Clients.ExportedAsync(client, exporter);
            Assert.Equal(ingested, exported.Count);
            await client.ShutdownAsync();
        }
    }
}
