using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Rag;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

/// <summary>
/// Every LastMile RAG event kind has a typed helper: the kinds added for multi_embedding, synthesize, templating and
/// custom (the generic span event), each a span under the current span with its kind, name, event type and shapes.
/// </summary>
public class RagEventKindsTests
{
    static string Text(LanguageExt.Map<string, Payload> map, string key) => map.Find(key).Map(p => p.Value).IfNone("<missing>");

    static JsonElement Json(Payload? payload) => JsonDocument.Parse(payload?.ToJson() ?? "null").RootElement.Clone();

    static async Task<TraceRecord> Recorded(Action<TraceContext> body)
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("rag"))
        using (trace.Span("answer", SpanType.Chain))
            body(trace);
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        return Assert.Single(exporter.Traces);
    }

    static Span Event(TraceRecord t, string name, SpanType kind, string eventType)
    {
        var span = t.Spans.Single(s => s.Name == name);
        Assert.Equal(kind, span.Kind);
        Assert.Equal(eventType, Text(span.Metadata, TraceContext.RagEventTypeKey));
        Assert.Equal(t.Spans.Single(s => s.Name == "answer").Id, span.Parent);
        Assert.Equal(SpanStatus.Ok, span.Status);
        Assert.False(span.IsOpen);
        return span;
    }

    [Fact]
    public async Task Multi_embedding_is_an_embedding_span_of_the_texts_and_their_vectors()
    {
        var t = await Recorded(trace => trace.LogMultiEmbeddingEvent(["a", "b"], [[0.5f, 0.25f], [1f, 0f]],
            new Dictionary<string, object?> { ["embedding_model"] = "text-embedding-3-small" }));

        var span = Event(t, "multi_embedding", SpanType.Embedding, "multi_embedding");
        Assert.Equal(new[] { "a", "b" }, Json(span.Input).EnumerateArray().Select(e => e.GetString()).ToArray());
        var vectors = Json(span.Output);
        Assert.Equal(2, vectors.GetArrayLength());
        Assert.Equal(0.25, vectors[0][1].GetDouble());
        Assert.Equal("text-embedding-3-small", Text(span.Metadata, "embedding_model"));
    }

    [Fact]
    public async Task Synthesize_is_a_chain_span_of_a_sub_process_input_and_output()
    {
        var t = await Recorded(trace => trace.LogSynthesizeEvent(new { question = "q", chunks = 2 }, "the answer", name: "summarise"));

        var span = Event(t, "summarise", SpanType.Chain, "synthesize");
        Assert.Equal("q", Json(span.Input).GetProperty("question").GetString());
        Assert.Equal(2, Json(span.Input).GetProperty("chunks").GetInt32());
        Assert.Equal("the answer", span.Output?.Value);
    }

    [Fact]
    public async Task Templating_records_the_template_in_and_the_resolved_prompt_out()
    {
        var t = await Recorded(trace =>
        {
            trace.LogTemplatingEvent("Hello {name}", "Hello Ada", name: "plain");
            trace.LogTemplatingEvent("Hello {name}", "Hello Ada",
                variables: new Dictionary<string, object?> { ["name"] = "Ada" }, systemPrompt: "Be kind.");
        });

        var plain = Event(t, "plain", SpanType.Other, "templating");
        Assert.Equal("Hello {name}", plain.Input?.Value);
        Assert.Equal("Hello Ada", plain.Output?.Value);
        var full = Event(t, "templating", SpanType.Other, "templating");
        var input = Json(full.Input);
        Assert.Equal("Hello {name}", input.GetProperty("template").GetString());
        Assert.Equal("Ada", input.GetProperty("variables").GetProperty("name").GetString());
        Assert.Equal("Be kind.", input.GetProperty("system_prompt").GetString());
        Assert.Equal("Hello Ada", full.Output?.Value);
    }

    [Fact]
    public async Task The_generic_span_event_defaults_to_custom_and_takes_any_type_and_kind()
    {
        var t = await Recorded(trace =>
        {
            trace.LogSpanEvent("in", new { ok = true });
            trace.LogSpanEvent("PandaProbe", new[] { "pandaprobe" }, eventType: "normalize", kind: SpanType.Tool, name: "lower");
        });

        var custom = Event(t, "custom", SpanType.Other, "custom");
        Assert.Equal("in", custom.Input?.Value);
        Assert.True(Json(custom.Output).GetProperty("ok").GetBoolean());
        var lower = Event(t, "lower", SpanType.Tool, "normalize");
        Assert.Equal("pandaprobe", Json(lower.Output)[0].GetString());
    }

    [Fact]
    public async Task A_chunk_records_its_retrieval_score_only_when_it_has_one()
    {
        var t = await Recorded(trace =>
        {
            trace.LogChunkingEvent("handbook.pdf", [new Chunk("c1", "text")]);
            trace.LogChunkingEvent(new { id = "d2", name = "faq.md" }, [new Chunk("c2", "text")], name: "chunk-faq");
            trace.LogRerankEvent([new Chunk("c1", retrievalScore: 0.2)], [new Chunk("c1", retrievalScore: 0.9)]);
        });

        var chunking = Event(t, "chunking", SpanType.Other, "chunking");
        Assert.Equal("handbook.pdf", chunking.Input?.Value);   // a path or id, as LastMile's input_filepath
        var chunk = Json(chunking.Output)[0];
        Assert.Equal("c1", chunk.GetProperty("id").GetString());
        Assert.False(chunk.TryGetProperty("retrieval_score", out _));
        Assert.Equal("faq.md", Json(Event(t, "chunk-faq", SpanType.Other, "chunking").Input).GetProperty("name").GetString());
        var reranked = Json(Event(t, "rerank", SpanType.Retriever, "rerank").Output)[0];
        Assert.Equal(0.9, reranked.GetProperty("retrieval_score").GetDouble());
    }

    [Fact]
    public async Task The_readme_block_records_the_four_new_kinds()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        // README.md, "LastMile: parameters, RAG events, feedback and logs" (Probe.StartTrace there)
        using (var trace = client.StartTrace("rag-ingest-and-answer"))
        {
            trace.LogMultiEmbeddingEvent(["first chunk", "second chunk"], [[0.12f, 0.48f], [0.33f, 0.05f]],
                new Dictionary<string, object?> { ["embedding_model"] = "text-embedding-3-small" });
            trace.LogTemplatingEvent("Answer using {context}: {question}", "Answer using the handbook: what is PandaProbe?",
                variables: new Dictionary<string, object?> { ["context"] = "the handbook", ["question"] = "what is PandaProbe?" });
            trace.LogSynthesizeEvent(input: new { question = "What is PandaProbe?", chunks = 2 },
                output: "PandaProbe is a tracing platform for LLM applications.");
            trace.LogSpanEvent(input: "PandaProbe", output: new[] { "pandaprobe" }, eventType: "normalize");
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var t = Assert.Single(exporter.Traces);
        Assert.Equal(new[] { "multi_embedding", "normalize", "synthesize", "templating" },
            t.Spans.Select(s => Text(s.Metadata, TraceContext.RagEventTypeKey)).Order().ToArray());
        Assert.All(t.Spans, s => Assert.Null(s.Parent));
    }

    [Fact]
    public void Disabled_tracing_records_nothing_and_never_throws()
    {
        var trace = PandaProbeClient.Disabled.StartTrace("off");
        trace.LogMultiEmbeddingEvent(null!, null!);
        trace.LogSynthesizeEvent(null, null);
        trace.LogTemplatingEvent(null!, null!);
        trace.LogSpanEvent(null, null, eventType: null!);
        trace.End();
    }
}
