using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using PandaProbe.Agents.AI;
using PandaProbe.Extensions.AI;
using PandaProbe.Extensions.Tests.Support;
using PandaProbe.Model.Pricing;
using static PandaProbe.Extensions.AI.PandaProbeAIExtensions;

namespace PandaProbe.Extensions.Tests.ExtensionsAI;

/// <summary>
/// The gen_ai metrics of the middleware, read with a <see cref="System.Diagnostics.Metrics.MeterListener"/> over the
/// real Microsoft.Extensions.AI pipeline: names, units, attributes, one observation per call and token type, none for
/// tokens when a call fails, both families, cost, agent rollups under PandaProbe's own names, and the names
/// Microsoft.Extensions.AI's own <c>UseOpenTelemetry()</c> emits for the same call. Each test selects its own
/// observations by a model name only it uses (meters are process-wide).
/// </summary>
public class GenAiMetricsTests
{
    const string RequestModel = "gen_ai.request.model";

    static string UniqueModel() => "model-" + Guid.NewGuid().ToString("N");

    static FakeChatClient Fake(string responseModel, UsageDetails? usage = null) => new()
    {
        Metadata = new ChatClientMetadata("openai", new Uri("https://api.example.com:8443/v1"), "default-model"),
        Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            ModelId = responseModel,
            Usage = usage ?? new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        },
    };

    static Dictionary<string, string?> Tags(Observation o) =>
        o.Tags.ToDictionary(t => t.Key, t => o.Tag(t.Key));

    [Fact]
    public async Task A_chat_call_records_one_duration_and_one_token_observation_per_type_in_the_v1_41_names()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var chat = new ChatClientBuilder(Fake(model + "-2024")).UsePandaProbe(client).Build();

        await chat.GetResponseAsync("Hi", new ChatOptions { ModelId = model });

        var seen = metrics.With(RequestModel, model);
        var duration = Assert.Single(seen, o => o.Instrument == "gen_ai.client.operation.duration");
        Assert.Equal("s", duration.Unit);
        Assert.Equal("histogram", duration.Kind);
        Assert.True(duration.Value >= 0);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["gen_ai.operation.name"] = "chat",
            ["gen_ai.provider.name"] = "openai",
            [RequestModel] = model,
            ["gen_ai.response.model"] = model + "-2024",
            ["server.address"] = "api.example.com",
            ["server.port"] = "8443",
        }, Tags(duration));

        var tokens = seen.Where(o => o.Instrument == "gen_ai.client.token.usage").ToList();
        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, t => Assert.Equal("{token}", t.Unit));
        Assert.Equal(10, Assert.Single(tokens, t => t.Tag("gen_ai.token.type") == "input").Value);
        Assert.Equal(5, Assert.Single(tokens, t => t.Tag("gen_ai.token.type") == "output").Value);
        Assert.All(tokens, t => Assert.Equal("chat", t.Tag("gen_ai.operation.name")));
        Assert.DoesNotContain(seen, o => o.Instrument.StartsWith("gen_ai.client.inference", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_call_records_a_duration_with_error_type_and_no_tokens()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var fake = Fake(model);
        fake.Error = new TimeoutException("slow");
        var chat = new ChatClientBuilder(fake).UsePandaProbe(client).Build();

        await Assert.ThrowsAsync<TimeoutException>(() => chat.GetResponseAsync("Hi", new ChatOptions { ModelId = model }));

        var seen = metrics.With(RequestModel, model);
        var duration = Assert.Single(seen);
        Assert.Equal("gen_ai.client.operation.duration", duration.Instrument);
        Assert.Equal("System.TimeoutException", duration.Tag("error.type"));
        Assert.Null(duration.Tag("gen_ai.response.model"));
    }

    [Fact]
    public async Task A_streamed_call_records_its_usage_once_per_type_when_the_stream_ends()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var fake = Fake(model);
        fake.Updates =
        [
            new ChatResponseUpdate(ChatRole.Assistant, "Hel") { ModelId = model + "-s" },
            new ChatResponseUpdate(ChatRole.Assistant, "lo"),
            new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 7, OutputTokenCount = 2 })] },
        ];
        var chat = new ChatClientBuilder(fake).UsePandaProbe(client).Build();

        await foreach (var _ in chat.GetStreamingResponseAsync("Hi", new ChatOptions { ModelId = model })) { }

        var seen = metrics.With(RequestModel, model);
        Assert.Equal(model + "-s", Assert.Single(seen, o => o.Instrument == "gen_ai.client.operation.duration").Tag("gen_ai.response.model"));
        var tokens = seen.Where(o => o.Instrument == "gen_ai.client.token.usage").ToList();
        Assert.Equal([("input", 7d), ("output", 2d)], tokens.Select(t => (t.Tag("gen_ai.token.type")!, t.Value)).OrderBy(t => t.Item1));
    }

    [Fact]
    public async Task A_client_wrapped_twice_and_a_tool_loop_count_each_model_call_once()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var fake = Fake(model);
        fake.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 },
        });
        fake.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5 },
        });
        var chat = new ChatClientBuilder(fake)
            .UsePandaProbe(client).UseFunctionInvocation().UsePandaProbe(client).UsePandaProbe(client).Build();
        var options = new ChatOptions { ModelId = model, Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };

        await chat.GetResponseAsync("Weather?", options);

        var seen = metrics.With(RequestModel, model);
        Assert.Equal(2, seen.Count(o => o.Instrument == "gen_ai.client.operation.duration"));
        var input = seen.Where(o => o.Instrument == "gen_ai.client.token.usage" && o.Tag("gen_ai.token.type") == "input").Select(o => o.Value);
        Assert.Equal([10d, 20d], input.OrderBy(v => v));
        Assert.Equal(30d + 7d, seen.Where(o => o.Instrument == "gen_ai.client.token.usage").Sum(o => o.Value));
    }

    [Fact]
    public async Task The_genai_family_records_inference_counters_by_modality_and_per_operation_histograms()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var usage = new UsageDetails
        {
            InputTokenCount = 100, OutputTokenCount = 40, CachedInputTokenCount = 30, ReasoningTokenCount = 12,
            AdditionalCounts = new AdditionalPropertiesDictionary<long> { ["cache_creation_input_tokens"] = 20 },
        };
        var chat = new ChatClientBuilder(Fake(model, usage)).UsePandaProbe(client, metrics: GenAiMetrics.SemanticConventionsGenAi).Build();

        await chat.GetResponseAsync("Hi", new ChatOptions { ModelId = model });

        var seen = metrics.With(RequestModel, model);
        Assert.DoesNotContain(seen, o => o.Instrument is "gen_ai.client.token.usage" or "gen_ai.client.operation.duration");
        var duration = Assert.Single(seen, o => o.Instrument == "gen_ai.client.inference.duration");
        Assert.Equal("s", duration.Unit);
        Assert.Equal("openai", duration.Tag("gen_ai.provider.name"));
        Assert.Equal("chat", duration.Tag("gen_ai.operation.name"));

        (string Name, string Kind, double Value)[] expected =
        [
            ("gen_ai.client.inference.operation.input_tokens", "histogram", 100),
            ("gen_ai.client.inference.operation.output_tokens", "histogram", 40),
            ("gen_ai.client.inference.usage.cache_read.input_tokens", "counter", 30),
            ("gen_ai.client.inference.usage.cache_write.input_tokens", "counter", 20),
            ("gen_ai.client.inference.usage.input_tokens", "counter", 100),
            ("gen_ai.client.inference.usage.output_tokens", "counter", 40),
            ("gen_ai.client.inference.usage.reasoning.output_tokens", "counter", 12),
        ];
        var tokens = seen.Where(o => o.Unit == "{token}").OrderBy(o => o.Instrument, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, tokens.Select(o => (o.Instrument, o.Kind, o.Value)));
        Assert.All(tokens.Where(o => o.Kind == "counter"), o => Assert.Equal("unknown", o.Tag("gen_ai.token.modality")));
        Assert.All(tokens.Where(o => o.Kind == "histogram"), o => Assert.Null(o.Tag("gen_ai.token.modality")));
        Assert.All(tokens, o => Assert.Null(o.Tag("gen_ai.token.type")));
    }

    [Fact]
    public async Task The_genai_family_records_no_tokens_for_a_failed_call()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var fake = Fake(model);
        fake.Error = new InvalidOperationException("boom");
        var chat = fake.WithPandaProbe(client, metrics: GenAiMetrics.SemanticConventionsGenAi);

        await Assert.ThrowsAsync<InvalidOperationException>(() => chat.GetResponseAsync("Hi", new ChatOptions { ModelId = model }));

        var only = Assert.Single(metrics.With(RequestModel, model));
        Assert.Equal("gen_ai.client.inference.duration", only.Instrument);
        Assert.Equal("System.InvalidOperationException", only.Tag("error.type"));
    }

    [Fact]
    public async Task A_priced_model_call_records_its_cost_and_None_records_nothing()
    {
        using var metrics = new MetricsRecorder();
        var model = UniqueModel();
        var (client, _) = Clients.InMemory(o => o.PriceCatalog = PriceCatalog.Empty("test").With(model, new ModelPrice(2, 8)));
        await Fake(model).WithPandaProbe(client).GetResponseAsync("Hi", new ChatOptions { ModelId = model });

        var cost = Assert.Single(metrics.With(RequestModel, model), o => o.Instrument == "gen_ai.client.operation.cost");
        Assert.Equal("{USD}", cost.Unit);
        Assert.Equal((10 * 2 + 5 * 8) / 1_000_000d, cost.Value, 12);
        Assert.Equal("USD", cost.Tag("gen_ai.usage.cost.currency"));
        Assert.Equal("local", cost.Tag("gen_ai.usage.cost.source"));
        Assert.Equal("chat", cost.Tag("gen_ai.operation.name"));

        var silent = UniqueModel();
        await Fake(silent).WithPandaProbe(client, metrics: GenAiMetrics.None).GetResponseAsync("Hi", new ChatOptions { ModelId = silent });
        Assert.Empty(metrics.With(RequestModel, silent));
    }

    [Fact]
    public async Task An_embedding_generation_records_input_tokens_only_in_either_family()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var fake = new FakeEmbeddingGenerator { ModelId = model, Usage = new UsageDetails { InputTokenCount = 42 } };

        await fake.WithPandaProbe(client).GenerateAsync(["a", "b"], new EmbeddingGenerationOptions { ModelId = model });
        var v141 = metrics.With(RequestModel, model);
        Assert.Equal("embeddings", Assert.Single(v141, o => o.Instrument == "gen_ai.client.operation.duration").Tag("gen_ai.operation.name"));
        var tokens = Assert.Single(v141, o => o.Instrument == "gen_ai.client.token.usage");
        Assert.Equal(("input", 42d), (tokens.Tag("gen_ai.token.type"), tokens.Value));
        Assert.DoesNotContain(v141, o => o.Instrument == "gen_ai.client.operation.cost");

        var other = UniqueModel();
        var genAi = new FakeEmbeddingGenerator { ModelId = other, Usage = new UsageDetails { InputTokenCount = 8 } };
        await new EmbeddingGeneratorBuilder<string, Embedding<float>>(genAi).UsePandaProbe(client, metrics: GenAiMetrics.SemanticConventionsGenAi)
            .Build().GenerateAsync(["a"], new EmbeddingGenerationOptions { ModelId = other });
        var v010 = metrics.With(RequestModel, other);
        Assert.Equal(["gen_ai.client.embeddings.duration", "gen_ai.client.embeddings.operation.input_tokens"],
            v010.Select(o => o.Instrument).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(8, v010.Single(o => o.Unit == "{token}").Value);
    }

    [Fact]
    public async Task An_agent_run_rolls_its_tokens_up_under_PandaProbe_names_not_gen_ai_ones()
    {
        using var metrics = new MetricsRecorder();
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var agentName = "agent-" + Guid.NewGuid().ToString("N");
        var fake = Fake(model);
        fake.Metadata = new ChatClientMetadata("openai", null, model);
        fake.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })]))
        {
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 },
        });
        fake.Script.Enqueue(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sunny."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5 },
        });
        var agent = new ChatClientAgent(fake.WithPandaProbe(client), name: agentName,
            tools: [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")]).WithPandaProbe(client);

        await agent.RunAsync("Weather in Oslo?");

        var run = metrics.With("gen_ai.agent.name", agentName);
        var rollup = run.Where(o => o.Instrument == "pandaprobe.agent.token.usage").ToList();
        Assert.Equal([("input", 30d), ("output", 7d)], rollup.Select(o => (o.Tag("gen_ai.token.type")!, o.Value)).OrderBy(t => t.Item1));
        Assert.All(rollup, o => Assert.Equal("{token}", o.Unit));
        var duration = Assert.Single(run, o => o.Instrument == "pandaprobe.agent.operation.duration");
        Assert.Equal("invoke_agent", duration.Tag("gen_ai.operation.name"));
        Assert.DoesNotContain(run, o => o.Instrument.StartsWith("gen_ai.", StringComparison.Ordinal));

        // The model calls are counted once each, under gen_ai names.
        var calls = metrics.With(RequestModel, model).Where(o => o.Instrument == "gen_ai.client.token.usage").ToList();
        Assert.Equal(37d, calls.Sum(o => o.Value));
        Assert.All(calls, o => Assert.Equal("chat", o.Tag("gen_ai.operation.name")));
    }

    [Fact]
    public async Task The_v1_41_family_matches_what_UseOpenTelemetry_emits_for_the_same_call()
    {
        var source = "PandaProbe.Tests.MEAI." + Guid.NewGuid().ToString("N");
        using var metrics = new MetricsRecorder("PandaProbe", source);
        var (client, _) = Clients.InMemory();
        var model = UniqueModel();
        var chat = new ChatClientBuilder(Fake(model + "-2024")).UseOpenTelemetry(sourceName: source).UsePandaProbe(client).Build();

        await chat.GetResponseAsync("Hi", new ChatOptions { ModelId = model });

        var seen = metrics.With(RequestModel, model);
        var theirs = seen.Where(o => o.Meter == source).ToList();
        var ours = seen.Where(o => o.Meter == "PandaProbe").ToList();
        Assert.NotEmpty(theirs);

        // Names, units, instrument kinds, attribute keys, and the token counts (durations differ by nature).
        static List<string> Shape(IEnumerable<Observation> observations) => observations
            .Select(o => $"{o.Instrument} [{o.Unit}] {o.Kind} {{{string.Join(",", o.Tags.Keys.Order(StringComparer.Ordinal))}}}"
                + (o.Instrument == "gen_ai.client.token.usage" ? $" {o.Tag("gen_ai.token.type")}={o.Value}" : ""))
            .Order(StringComparer.Ordinal).ToList();

        Assert.Equal(Shape(theirs), Shape(ours));
        Assert.Equal(
            theirs.Select(o => Tags(o)).Select(t => string.Join(";", t.Where(p => p.Key != "error.type").OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))).Order(),
            ours.Select(o => Tags(o)).Select(t => string.Join(";", t.Where(p => p.Key != "error.type").OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))).Order());
    }
}
