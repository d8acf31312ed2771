using System.Text;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PandaProbe.Agents.AI;
using Microsoft.SemanticKernel;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using PandaProbe.Exporters;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Hosting;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model;

namespace PandaProbe.Extensions.Tests.Docs;

/// <summary>
/// The code blocks of README.md's Integrations section, compiled and run with scripted providers; each sits between
/// <c>// --- README block</c> markers, with the test's explicit client (and test server) where the README uses defaults.
/// </summary>
[Collection(ProcessWide.Name)]
public class ReadmeIntegrationExamples
{
    [Fact]
    public async Task Chat_client_example()
    {
        var (client, exporter) = Clients.InMemory();
        IChatClient providerChatClient = new FakeChatClient
        {
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Oslo")),
            Updates = [new ChatResponseUpdate(ChatRole.Assistant, "Dear customer")],
        };

        // --- README block (with the explicit client of this test) ---
        IChatClient chat = providerChatClient.WithPandaProbe(client);

        var reply = await chat.GetResponseAsync("What is the capital of Norway?", new ChatOptions { ModelId = "gpt-4o" });

        using (var trace = client.StartTrace("support-agent"))
        using (var agent = trace.Span("plan", SpanType.Agent))
        {
            await foreach (var update in chat.GetStreamingResponseAsync("Draft a reply"))
                _ = update.Text;
        }
        // --- end ---

        Assert.Equal("Oslo", reply.Text);
        var traces = await Clients.ExportedAsync(client, exporter);
        Assert.Equal(new[] { "chat", "support-agent" }, traces.Select(t => t.Str("name") ?? "").Order().ToArray());
        var agentTrace = traces.Single(t => t.Str("name") == "support-agent");
        Assert.Equal(Clients.SpanNamed(agentTrace, "plan").Str("span_id"), Clients.SpanNamed(agentTrace, "chat").Str("parent_span_id"));
    }

    [Fact]
    public async Task Tool_loop_example()
    {
        var (client, exporter) = Clients.InMemory();
        var providerChatClient = new FakeChatClient();
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo.")));

        // --- README block (with the explicit client of this test) ---
        IChatClient agent = new ChatClientBuilder(providerChatClient)
            .UseFunctionInvocation()
            .UsePandaProbe(client)      // one trace per request: an LLM span per model call, a TOOL span per function call
            .Build();

        var answer = await agent.GetResponseAsync("What is the weather in Oslo?", new ChatOptions
        {
            ModelId = "gpt-4o",
            Tools = [AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather")],
        });
        // --- end ---

        Assert.Equal("Sunny in Oslo.", answer.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal(["LLM", "TOOL", "LLM"], trace.GetProperty("spans").EnumerateArray().Select(s => s.Str("kind") ?? "").ToArray());
    }

    [Fact]
    public async Task Agent_example()
    {
        var (client, exporter) = Clients.InMemory();
        var providerChatClient = new FakeChatClient();
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo.")));

        // --- README block (with the explicit client of this test) ---
        AIAgent agent = new ChatClientAgent(
                providerChatClient.WithPandaProbe(client),         // LLM spans for the agent's model calls
                instructions: "Answer in one sentence.",
                name: "weather-agent",
                tools: [AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather")])
            .AsBuilder()
            .UsePandaProbe(client)                                 // or agent.WithPandaProbe()
            .Build();

        AgentResponse answer = await agent.RunAsync("What is the weather in Oslo?");
        // One trace "weather-agent": AGENT weather-agent → LLM chat, TOOL get_weather, LLM chat
        // --- end ---

        Assert.Equal("Sunny in Oslo.", answer.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("weather-agent", trace.Str("name"));
        var spans = trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();
        Assert.Equal(["weather-agent:AGENT", "chat:LLM", "get_weather:TOOL", "chat:LLM"],
            spans.Select(s => $"{s.Str("name")}:{s.Str("kind")}").ToArray());
        Assert.All(spans.Skip(1), s => Assert.Equal(spans[0].Str("span_id"), s.Str("parent_span_id")));
    }

    [Fact]
    public async Task Embedding_example()
    {
        var (client, exporter) = Clients.InMemory();
        IEmbeddingGenerator<string, Embedding<float>> providerEmbeddingGenerator = new FakeEmbeddingGenerator();

        // --- README block (with the explicit client of this test) ---
        IEmbeddingGenerator<string, Embedding<float>> embedder =
            new EmbeddingGeneratorBuilder<string, Embedding<float>>(providerEmbeddingGenerator).UsePandaProbe(client).Build();

        var vectors = await embedder.GenerateAsync(["first passage", "second passage"]);
        // --- end ---

        Assert.Equal(2, vectors.Count);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("EMBEDDING", Clients.SingleSpan(trace).Str("kind"));
    }

    [Fact]
    public async Task OpenAI_sdk_example()
    {
        var (client, exporter) = Clients.InMemory();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Then(
            ScriptedOpenAIServer.Completion("chatcmpl-1", "gpt-4o-mini-2024-07-18", "Hi!", ScriptedOpenAIServer.Usage(5, 2, cached: 1)),
            ScriptedOpenAIServer.Embeddings("text-embedding-3-small", 3, [0.5f, 0.5f]));

        // --- README block (the test's server stands in for api.openai.com; the explicit client of this test) ---
        var openAI = server.OpenAI();   // README: new OpenAIClient(Environment.GetEnvironmentVariable("OPENAI_API_KEY"))
        IChatClient gpt = new ChatClientBuilder(openAI.GetChatClient("gpt-4o-mini").AsIChatClient())
            .UsePandaProbe(client)
            .UseFunctionInvocation()
            .UsePandaProbe(client)
            .Build();
        var embedder = openAI.GetEmbeddingClient("text-embedding-3-small").AsIEmbeddingGenerator().WithPandaProbe(client);
        // --- end ---

        Assert.Equal("Hi!", (await gpt.GetResponseAsync("Hello")).Text);
        Assert.Single(await embedder.GenerateAsync(["fjord"]));
        var traces = await Clients.ExportedAsync(client, exporter);
        var llm = traces.SelectMany(t => t.GetProperty("spans").EnumerateArray()).Single(s => s.Str("kind") == "LLM");
        Assert.Equal("gpt-4o-mini-2024-07-18", llm.Str("model"));
        Assert.Equal("gpt-4o-mini", llm.GetProperty("metadata").Str("gen_ai.request.model"));
        Assert.Equal(1, llm.GetProperty("token_usage").GetProperty("cache_read_tokens").GetInt64());
        Assert.Contains(traces, t => t.GetProperty("spans").EnumerateArray().Any(s => s.Str("kind") == "EMBEDDING"));
    }

    public sealed class Handler(PandaProbeClient probe, IChatClient chat)
    {
        public readonly IChatClient Traced = chat.WithPandaProbe(probe);
    }

    [Fact]
    public async Task Hosting_example()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // --- README block ---
        builder.Services.AddPandaProbe(options =>
        {
            options.ProjectName = "support-bot";
            options.Environment = "production";
        });
        // --- end ---
        builder.Services.Configure<PandaProbeOptions>(o =>
        {
            // As in production, the key comes from the environment; explicit exporters keep the test off the network.
            o.EnvironmentVariables = new Dictionary<string, string?> { ["PANDAPROBE_API_KEY"] = "sk_pp_test" };
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
        });
        builder.Services.AddSingleton<IChatClient>(new FakeChatClient());
        builder.Services.AddSingleton<Handler>();

        using var host = builder.Build();
        await host.StartAsync();
        var handler = host.Services.GetRequiredService<Handler>();
        await handler.Traced.GetResponseAsync("hi");
        await host.StopAsync();

        var trace = Assert.Single(exporter.Traces);
        Assert.Equal("production", (trace.Environment ?? ""));
        Assert.True(exporter.IsShutdown);
    }

    const string AppSettings = """
        {
          "PandaProbe": {
            "ProjectName": "support-bot",
            "Environment": "production",
            "ContentMode": "Redacted",
            "Sampling": { "Ratio": 0.1, "KeepSlowerThan": "00:00:10" },
            "Redaction": { "KeyNames": [ "customer_ref" ], "Patterns": [ "EMP-[0-9]{6}" ] }
          }
        }
        """;

    [Fact]
    public async Task Configuration_example()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings)));

        // --- README block ---
        builder.Services.AddPandaProbe(builder.Configuration.GetSection("PandaProbe"), options =>
        {
            options.Redaction.Custom = text => text.Replace("Project Falcon", "[codename]");   // what only code can say
        });
        // --- end ---
        builder.Services.Configure<PandaProbeOptions>(o =>
        {
            o.EnvironmentVariables = new Dictionary<string, string?> { ["PANDAPROBE_API_KEY"] = "sk_pp_test" };
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
        });

        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<PandaProbeClient>();
        using (var trace = client.StartTrace("refund", input: "EMP-004211 asks about Project Falcon"))
        {
            trace.SetMetadata(new Dictionary<string, object?> { ["customer_ref"] = "C-881" });
            trace.SetError("refused");                                  // kept whatever the ratio: errors are kept
        }
        await host.StopAsync();

        var body = JsonDocument.Parse(Assert.Single(exporter.Traces).ToJson()).RootElement;
        Assert.Equal("production", body.GetProperty("environment").GetString());
        Assert.Equal("[REDACTED] asks about [codename]", body.GetProperty("input").GetString());
        Assert.Equal("[REDACTED]", body.GetProperty("metadata").GetProperty("customer_ref").GetString());
    }

    [Fact]
    public async Task Section_name_example()
    {
        var exporter = new InMemoryTraceExporter();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(AppSettings)));
        builder.Services.Configure<PandaProbeOptions>(o =>
        {
            o.EnvironmentVariables = new Dictionary<string, string?> { ["PANDAPROBE_API_KEY"] = "sk_pp_test" };
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(exporter);
        });

        // --- README block ---
        builder.Services.AddPandaProbe("PandaProbe");
        // --- end ---

        using var host = builder.Build();
        await host.StartAsync();

        // --- README block ---
        using (var trace = Probe.StartTrace("nightly-report"))
            trace.Span("collect", SpanType.Tool, span => span.SetOutput("42 tickets"));
        // --- end ---

        Assert.Same(host.Services.GetRequiredService<PandaProbeClient>(), Probe.Client);
        using (var kept = Probe.StartTrace("kept")) kept.SetError("kept whatever the sampling ratio");
        await host.StopAsync();

        Assert.Contains(exporter.Traces, t => t.Name == "kept" && t.Environment == "production");
        Assert.NotSame(host.Services.GetRequiredService<PandaProbeClient>(), Probe.Client);
    }

    [Fact]
    public async Task Hosting_options_example()
    {
        var (previous, _) = Clients.InMemory();
        using var restore = Probe.SetDefault(previous);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(new InMemoryTraceExporter());
        });

        // --- README block ---
        builder.Services.Configure<PandaProbeHostingOptions>(options =>
        {
            options.SetAsDefault = false;       // Probe keeps its own client; inject PandaProbeClient where you trace
            options.MaxRepeatsPerMinute = 20;   // or LogDiagnostics = false to leave SelfLog alone
        });
        // --- end ---

        using var host = builder.Build();
        await host.StartAsync();
        Assert.Same(previous, Probe.Client);
        Assert.True(SelfLog.IsEnabled);
        await host.StopAsync();
        Assert.False(SelfLog.IsEnabled);
        await previous.ShutdownAsync();
    }

    [Fact]
    public async Task Health_check_example()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddPandaProbe(o =>
        {
            o.EnvironmentVariables = Clients.NoEnvironment;
            o.RegisterProcessExitHandler = false;
            o.Exporters.Add(new InMemoryTraceExporter());
        });

        // --- README block ---
        builder.Services.AddHealthChecks().AddPandaProbe();   // named "pandaprobe"; failureStatus and tags are optional
        // --- end ---

        using var host = builder.Build();
        await host.StartAsync();
        var report = await host.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, report.Entries["pandaprobe"].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Gen_ai_activities_example()
    {
        var (client, exporter) = Clients.InMemory();
        var providerChatClient = new FakeChatClient();
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new Microsoft.Extensions.AI.FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })])));
        providerChatClient.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny in Oslo.")));

        // --- README block (with the explicit client of this test) ---
        using var ingestion = client.IngestGenAiActivities();   // or client.IngestGenAiActivities("MyApp.AI")

        IChatClient chat = new ChatClientBuilder(providerChatClient)
            .UseFunctionInvocation()
            .UseOpenTelemetry(configure: o => o.EnableSensitiveData = true)   // messages, arguments and results in the tags
            .Build();

        var answer = await chat.GetResponseAsync("What is the weather in Oslo?", new ChatOptions
        {
            Tools = [AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather")],
        });
        // --- end ---
        ingestion.Dispose();

        Assert.Equal("Sunny in Oslo.", answer.Text);
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        var spans = trace.GetProperty("spans").EnumerateArray().OrderBy(s => s.Str("started_at")).ToList();
        Assert.Equal(["CHAIN", "LLM", "TOOL", "LLM"], spans.Select(s => s.Str("kind")));
        Assert.Equal(["orchestrate_tools", "chat", "get_weather", "chat"], spans.Select(s => s.Str("name")));
    }

    [Fact]
    public async Task Semantic_Kernel_example()
    {
        var (client, exporter) = Clients.InMemory();
        IChatClient providerChatClient = new FakeChatClient
        {
            Metadata = new ChatClientMetadata("openai", null, "gpt-4o"),
            Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Hello, Ada!"))
            {
                Usage = new UsageDetails { InputTokenCount = 8, OutputTokenCount = 4 },
            },
        };

        // --- README block (with the explicit client of this test) ---
        using var ingestion = client.IngestGenAiActivities();

        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatClient>(providerChatClient.WithPandaProbe(client));
        var kernel = builder.Build();

        var greet = kernel.CreateFunctionFromPrompt("Say hello to {{$name}}", functionName: "greet");
        var result = await kernel.InvokeAsync(greet, new() { ["name"] = "Ada" });
        // --- end ---
        ingestion.Dispose();

        Assert.Equal("Hello, Ada!", result.ToString());
        var trace = Assert.Single(await Clients.ExportedAsync(client, exporter));
        Assert.Equal("greet", trace.Str("name"));
        var function = Clients.SpanNamed(trace, "greet");
        var llm = Clients.SpanNamed(trace, "chat");
        Assert.Equal("TOOL", function.Str("kind"));
        Assert.Equal(function.Str("span_id"), llm.Str("parent_span_id"));
        Assert.Equal("""{"messages":[{"role":"user","content":"Say hello to Ada"}]}""", llm.GetProperty("input").Raw());
        Assert.Equal(8, llm.GetProperty("token_usage").GetProperty("prompt_tokens").GetInt64());
        Assert.True(llm.Has("cost"));
    }
}
