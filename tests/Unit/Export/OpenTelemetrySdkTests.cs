using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PandaProbe.Exporters;
using PandaProbe.Model;
using PandaProbe.Unit.Support;
using Xunit;
using static PandaProbe.Unit.Serialization.WireSamples;
using OtelExportResult = OpenTelemetry.ExportResult;

namespace PandaProbe.Unit.Export;

/// <summary>An OpenTelemetry exporter that keeps what it is given.</summary>
sealed class CollectingOtelExporter : BaseExporter<Activity>
{
    public ConcurrentQueue<Activity> Exported { get; } = new();

    public override OtelExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch) Exported.Enqueue(activity);
        return OtelExportResult.Success;
    }
}

/// <summary>The replayed traces reach a real OpenTelemetry SDK pipeline registered with <c>AddSource("PandaProbe")</c>.</summary>
[Collection(ActivityCollection.Name)]
public class OpenTelemetrySdkTests
{
    [Fact]
    public async Task A_tracer_provider_with_the_pandaprobe_source_receives_the_trace_tree()
    {
        var otel = new CollectingOtelExporter();
        using (var provider = Sdk.CreateTracerProviderBuilder()
                   .AddSource(ActivityTraceExporter.SourceName)
                   .AddProcessor(new SimpleActivityExportProcessor(otel))
                   .Build())
        {
            var result = await new ActivityTraceExporter().ExportAsync(ExportBatch.Of(Rich()), default);
            Assert.Equal(PandaProbe.Exporters.ExportResult.Success(1), result);
            Assert.True(provider.ForceFlush(5_000));
        }

        var activities = otel.Exported.Where(a => a.GetTagItem("pandaprobe.trace_id") as string == TraceA.ToString()).ToList();
        Assert.Equal(4, activities.Count);
        var root = activities.Single(a => a.ParentSpanId == default);
        Assert.Equal("rag-pipeline", root.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.All(activities, a => Assert.Equal(root.TraceId, a.TraceId));
        Assert.All(activities, a => Assert.True(a.Recorded));
        var llm = activities.Single(a => a.GetTagItem("pandaprobe.span_id") as string == Llm.ToString());
        var agent = activities.Single(a => a.GetTagItem("pandaprobe.span_id") as string == Root.ToString());
        Assert.Equal(agent.SpanId, llm.ParentSpanId);
        Assert.Equal(root.SpanId, agent.ParentSpanId);
        Assert.Equal(ActivityKind.Client, llm.Kind);
        Assert.Equal("gpt-5.4-nano", llm.GetTagItem("gen_ai.request.model"));
        Assert.Equal(120L, llm.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(At(2.25).UtcDateTime, llm.StartTimeUtc);
    }

    [Fact]
    public async Task A_client_registered_next_to_a_tracer_provider_ships_its_traces()
    {
        var otel = new CollectingOtelExporter();
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(ActivityTraceExporter.SourceName)
            .AddProcessor(new SimpleActivityExportProcessor(otel))
            .Build();
        Guid traceId;
        await using (var client = TestClient.Create(new ActivityTraceExporter()))
        {
            using (var trace = client.StartTrace("otel-e2e"))
            {
                traceId = trace.TraceId;
                using var span = trace.Span("embed", SpanType.Embedding, model: "text-embedding-3");
            }
            await client.FlushAsync();
        }
        Assert.True(provider.ForceFlush(5_000));
        var activities = otel.Exported.Where(a => a.GetTagItem("pandaprobe.trace_id") as string == traceId.ToString("D")).ToList();
        Assert.Equal(2, activities.Count);
        var embed = activities.Single(a => a.DisplayName == "embed");
        Assert.Equal("embeddings", embed.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(activities.Single(a => a.DisplayName == "otel-e2e").SpanId, embed.ParentSpanId);
    }
}
