using PandaProbe.Rag;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

/// <summary>
/// The snippets of README.md ("The other reference systems"), compiled and run against a hermetic client (the docs call the same
/// members on <c>Probe</c>, which forwards to its default client).
/// </summary>
public class ReadmeSnippetTests
{
    sealed class ConsoleProcessor : ITraceProcessor
    {
        public int SpansEnded;
        public void OnSpanEnd(Span span) => Interlocked.Increment(ref SpansEnded);
    }

    [Fact]
    public async Task LastMile_snippet_records_params_events_and_feedback()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        IReadOnlyDictionary<string, object?> parameters;
        using (var trace = client.StartTrace("rag-query"))
        {
            trace.RegisterParam("chunk_size", 512);
            trace.RegisterParams(new Dictionary<string, object?> { ["model"] = "gpt-4o", ["top_k"] = 4 });
            trace.RegisterRetrievalParams(topK: 4, rerankingModel: "rerank-v3");
            parameters = trace.GetParams();

            using (var answer = trace.Span("answer", SpanType.Chain))
            {
                trace.LogRetrievalEvent("What is PandaProbe?",
                    [new Chunk(id: "c1", content: "PandaProbe traces LLM apps.", retrievalScore: 0.82)]);
                trace.LogQueryEvent("What is PandaProbe?", "A tracing platform.", systemPrompt: "Answer briefly.");
                answer.Log("retrieval took one hop");
            }

            client.LogBinaryFeedback(true);
            client.LogCategoricalFeedback("helpful", ["helpful", "unhelpful"], trace.TraceId);
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { "chunk_size", "model", "reranking_model", "top_k" }, parameters.Keys.Order().ToArray());
        Assert.Equal(3, Assert.Single(exporter.Traces).Spans.Count);
        Assert.Equal(2, exporter.Batches.Sum(b => b.Scores.Count));
    }

    [Fact]
    public async Task OpenAI_agents_snippets_run()
    {
        var processor = new ConsoleProcessor();
        var options = new PandaProbeOptions { EnvironmentVariables = TestClient.NoEnvironment, RegisterProcessExitHandler = false };
        options.Processors.Add(processor);
        var memory = new InMemoryTraceExporter();
        options.Exporters.Add(memory);
        await using var client = new PandaProbeClient(options);

        SpanContext search;
        using (var trace = client.StartTrace("agent-run"))
        {
            var plan = trace.Span("plan", SpanType.Agent);
            search = trace.Span("web_search", SpanType.Tool, parent: plan, makeCurrent: false);
            try { throw new TimeoutException("search timed out"); }
            catch (Exception e)
            {
                search.SetError(e.Message, new Dictionary<string, object?> { ["operation"] = "web_search" });
            }
            search.End();
            plan.End();
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("search timed out", search.Error?.Message);
        Assert.NotNull(search.ParentId);
        var t = Assert.Single(memory.Traces);
        Assert.Equal(SpanStatus.Error, t.Spans.Single(s => s.Name == "web_search").Status);
    }

    [Fact]
    public void Cost_snippet_builds_a_custom_catalogue()
    {
        var prices = PriceCatalog.Default
            .With("my-finetune", new ModelPrice(input: 3.00, output: 12.00))
            .With("gpt-4o", new ModelPrice(input: 2.50, output: 10.00, cachedInput: 1.25));
        var options = new PandaProbeOptions { PriceCatalog = prices };

        Assert.Same(prices, options.PriceCatalog);
        Assert.Equal(3.00, prices.Find("my-finetune").Map(p => p.Input).IfNone(-1));
        Assert.EndsWith(PriceCatalog.CustomSuffix, prices.Version);
    }
}
