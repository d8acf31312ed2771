using PandaProbe.Rag;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class LastMileFacadeTests
{
    static string Text(LanguageExt.Map<string, Payload> map, string key) => map.Find(key).Map(p => p.Value).IfNone("<missing>");

    [Fact]
    public async Task Params_are_registered_on_the_trace_and_the_current_span_and_read_back()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        IReadOnlyDictionary<string, object?> afterUpsert, afterOverwrite;
        using (var trace = client.StartTrace("rag"))
        {
            using (trace.Span("ingest", SpanType.Chain))
            {
                trace.RegisterParam("chunk_size", 512);
                trace.RegisterParam("model", "gpt-4o", alsoSaveInSpan: false);
            }
            trace.RegisterParams(new Dictionary<string, object?> { ["top_k"] = 5, ["model"] = "gpt-4o-mini" });
            afterUpsert = trace.GetParams();
            trace.RegisterParams(new Dictionary<string, object?> { ["temperature"] = 0.1 }, overwrite: true);
            afterOverwrite = trace.GetParams();
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new[] { "chunk_size", "model", "top_k" }, afterUpsert.Keys.Order().ToArray());
        Assert.Equal("gpt-4o-mini", afterUpsert["model"]);
        Assert.Equal(new[] { "temperature" }, afterOverwrite.Keys.ToArray());

        var t = Assert.Single(exporter.Traces);
        Assert.Equal(new[] { "temperature" }, t.Params.Keys.ToArray());
        var ingest = Assert.Single(t.Spans);
        Assert.Equal(new[] { "chunk_size" }, ingest.Params.Keys.ToArray());   // "model" was not saved in the span
        Assert.Equal("512", Text(ingest.Params, "chunk_size"));
    }

    [Fact]
    public async Task Typed_registrations_use_their_documented_keys()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("rag"))
        {
            trace.RegisterDocumentPreprocessParams(chunkSize: 256, chunkStrategy: "sliding_window");
            trace.RegisterEmbeddingParams("text-embedding-3-small", 1536);
            trace.RegisterQueryProcessingParams(decompositionStrategy: "sub_questions");
            trace.RegisterRetrievalParams(topK: 4, extras: new Dictionary<string, object?> { ["index"] = "docs" });
            trace.RegisterGenerationParams(new Dictionary<string, object?>
            {
                ["model"] = "gpt-4o", ["temperature"] = 0.3, ["messages"] = new[] { "left out" },
            });
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var keys = Assert.Single(exporter.Traces).Params.Keys.ToArray();
        Assert.Equal(
            new[] { "chunk_size", "chunk_strategy", "embedding_dimensions", "embedding_model", "index", "model",
                    "query_decomposition_strategy", "temperature", "top_k" },
            keys);
    }

    [Fact]
    public async Task Rag_events_become_typed_child_spans_of_the_current_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("rag"))
        {
            using (trace.Span("answer", SpanType.Chain))
            {
                trace.LogRetrievalEvent("what is PandaProbe?",
                    [new Chunk(id: "c1", content: "...", retrievalScore: 0.82)], name: "vector-lookup");
                trace.LogChunkingEvent(new { id = "d1", name = "handbook.pdf" }, [new Chunk(id: "c1", content: "a")]);
                trace.LogEmbeddingEvent([new[] { 0.5f, 0.25f }], data: new[] { "a" });
                trace.LogQueryRewriteEvent("q", ["q1", "q2"]);
                trace.LogRerankEvent([new Chunk("c1", retrievalScore: 0.2)], [new Chunk("c1", retrievalScore: 0.9)]);
                trace.LogToolCallEvent("calculator", new Dictionary<string, object?> { ["x"] = 2 }, new { result = 4 });
                trace.LogQueryEvent("q", "answer", systemPrompt: "be brief");
                using (trace.Span("after", SpanType.Other)) { }   // the events did not become the ambient parent
            }
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var t = Assert.Single(exporter.Traces);
        var answer = t.Spans.Single(s => s.Name == "answer");
        Span Named(string name) => t.Spans.Single(s => s.Name == name);
        foreach (var (name, kind, type) in new[]
        {
            ("vector-lookup", SpanType.Retriever, "retrieval"), ("chunking", SpanType.Other, "chunking"),
            ("embedding", SpanType.Embedding, "embedding"), ("query_rewrite", SpanType.Chain, "query_rewrite"),
            ("rerank", SpanType.Retriever, "rerank"), ("calculator", SpanType.Tool, "tool_call"), ("query", SpanType.Chain, "query"),
        })
        {
            var span = Named(name);
            Assert.Equal(kind, span.Kind);
            Assert.Equal(type, Text(span.Metadata, TraceContext.RagEventTypeKey));
            Assert.Equal(answer.Id, (span.Parent ?? default(SpanId)));
            Assert.Equal(SpanStatus.Ok, span.Status);
        }
        Assert.Equal(answer.Id, (Named("after").Parent ?? default(SpanId)));

        var retrieval = Named("vector-lookup");
        Assert.Equal("what is PandaProbe?", (retrieval.Input?.Value ?? ""));
        using var output = JsonDocument.Parse((retrieval.Output?.ToJson() ?? "null"));
        var hit = Assert.Single(output.RootElement.EnumerateArray());
        Assert.Equal("c1", hit.GetProperty("id").GetString());
        Assert.Equal(0.82, hit.GetProperty("retrieval_score").GetDouble());
        using var query = JsonDocument.Parse((Named("query").Input?.ToJson() ?? "null"));
        Assert.Equal("be brief", query.RootElement.GetProperty("system_prompt").GetString());
    }

    [Fact]
    public async Task Log_adds_entries_to_the_trace_and_the_span()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("rag"))
        {
            trace.Log("starting");
            using var step = trace.Span("step");
            step.Log(new { warning = "slow" });
            step.RegisterParam("retries", 2);
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var t = Assert.Single(exporter.Traces);
        Assert.Equal("starting", Assert.Single(t.Logs).Data.Value);
        var span = Assert.Single(t.Spans);
        Assert.Contains("slow", Assert.Single(span.Logs).Data.ToJson());
        Assert.Equal("2", Text(span.Params, "retries"));
    }

    [Fact]
    public async Task Feedback_is_sent_as_trace_scores()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        Guid id;
        using (var trace = client.StartTrace("chat"))
        {
            id = trace.TraceId;
            client.LogBinaryFeedback(true);                                      // the current trace
            client.LogTextFeedback("great answer");
        }
        client.LogNumericFeedback(0.75, id, reason: "4 of 5 stars");
        client.LogCategoricalFeedback("helpful", ["helpful", "unhelpful"], id);
        client.LogNumericFeedback(1.5, id);                                      // refused: outside 0..1
        client.LogCategoricalFeedback("other", ["helpful"], id);                 // refused: not a category
        client.LogBinaryFeedback(false);                                         // refused: no trace
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var scores = exporter.Batches.SelectMany(b => b.Scores).OrderBy(s => s.Name).ToArray();
        Assert.Equal(4, scores.Length);
        Assert.All(scores, s => Assert.Equal(id, s.Trace.Value));
        Assert.Equal(("binary_feedback", "true", ScoreDataType.Boolean), (scores[0].Name, scores[0].Value, scores[0].DataType));
        Assert.Equal(("categorical_feedback", "helpful", ScoreDataType.Categorical), (scores[1].Name, scores[1].Value, scores[1].DataType));
        Assert.Contains("unhelpful", scores[1].Metadata.Find("categories").Map(p => p.ToJson()).IfNone(""));
        Assert.Equal(("numeric_feedback", "0.75", ScoreDataType.Numeric), (scores[2].Name, scores[2].Value, scores[2].DataType));
        Assert.Equal("4 of 5 stars", (scores[2].Reason ?? ""));
        Assert.Equal(("text_feedback", "great answer", ScoreDataType.Categorical), (scores[3].Name, scores[3].Value, scores[3].DataType));
        Assert.Equal(3, client.Health.Dropped);
    }
}
