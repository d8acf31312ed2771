using PandaProbe.Model.Summary;
using System.Text.Json;
using PandaProbe.Model;
using PandaProbe.Model.Pricing;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.ReferenceSystems;

public class SpanforgeFacadeTests
{
    static Span Named(TraceRecord t, string name) => t.Spans.Single(s => s.Name == name);

    /// <summary>The roll-up example of the spanforge reference, timed so that its durations match too.</summary>
    static (TraceContext Parent, TraceContext Child) RunRollupExample(PandaProbeClient client, ManualTime time)
    {
        TraceContext child;
        using var parent = client.StartTrace("coordinator");
        using (var span = parent.LlmCall("gpt-4o"))
        {
            span.SetTokenUsage(promptTokens: 100, completionTokens: 50, new Dictionary<string, long> { ["total_tokens"] = 150 });
            span.SetStatus(SpanStatus.Ok);
            time.Advance(0.3);
        }
        using (child = client.StartTrace("researcher"))
        {
            time.Advance(0.1);
            using (var span = child.LlmCall("claude-3-5-sonnet-20241022"))
            {
                span.SetTokenUsage(promptTokens: 800, completionTokens: 400, new Dictionary<string, long> { ["total_tokens"] = 1200 });
                span.SetStatus(SpanStatus.Ok);
                time.Advance(1.6);
            }
            time.Advance(0.1);
        }
        parent.End();
        return (parent, child);
    }

    [Fact]
    public async Task The_rollup_example_prints_the_reference_tree()
    {
        var time = new ManualTime(RefData.T0);
        await using var client = TestClient.Create(o => o.TimeProvider = time, new RecordingExporter());
        var (parent, _) = RunRollupExample(client, time);

        var text = new StringWriter();
        parent.PrintTree(text);

        Assert.Equal(
            "— Agent Run: coordinator  [2.1s]\n" +
            " ├─ LLM Call: gpt-4o  [0.3s]  in=100 out=50  $0.0008\n" +
            " └─ Agent Run: researcher  [1.8s]\n" +
            "     └─ LLM Call: claude-3-5-sonnet  [1.6s]  in=800 out=400  $0.0084\n" +
            " Total (with children): $0.0092\n",
            text.ToString());
    }

    [Fact]
    public async Task Summary_rolls_the_sub_agent_cost_into_CostWithChildren()
    {
        var time = new ManualTime(RefData.T0);
        await using var client = TestClient.Create(o => o.TimeProvider = time, new RecordingExporter());
        var (parent, child) = RunRollupExample(client, time);

        var s = parent.Summary();

        Assert.Equal(1, s.SpanCount);
        Assert.Equal(0, s.ErrorCount);
        Assert.Equal((100, 50, 150), (s.PromptTokens, s.CompletionTokens, s.TotalTokens));
        Assert.Equal(0.00075, s.Cost);
        Assert.Equal(0.00915, s.CostWithChildren);
        Assert.Equal(TimeSpan.FromSeconds(2.1), s.Duration);
        Assert.Equal(new TraceSummary.ModelUsage(1, 100, 50, 150, 0.00075), s.Models["gpt-4o"]);
        var c = Assert.Single(s.Children);
        Assert.Equal(child.TraceId.ToString(), c.TraceId);
        Assert.Equal(parent.TraceId.ToString(), c.ParentTraceId);
        Assert.Equal(0.0084, child.Summary().Cost);
    }

    [Fact]
    public async Task Exported_spans_carry_the_catalogue_cost_and_its_version()
    {
        var time = new ManualTime(RefData.T0);
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(o => o.TimeProvider = time, exporter);
        RunRollupExample(client, time);
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var parentTrace = exporter.Traces.Single(t => t.Name == "coordinator");
        var span = Assert.Single(parentTrace.Spans);
        Assert.Equal(0.00075, (span.Cost?.Total ?? -1));
        Assert.Equal("catalog", span.Metadata.Find(CostCalculator.CostSourceKey).Map(p => p.Value).IfNone(""));
        Assert.Equal(PriceCatalog.Default.Version, span.Metadata.Find(CostCalculator.CatalogVersionKey).Map(p => p.Value).IfNone(""));
        var childTrace = exporter.Traces.Single(t => t.Name == "researcher");
        Assert.Equal(parentTrace.Id, (childTrace.ParentTrace ?? default(TraceId)));
        Assert.Equal(0.0084, (Assert.Single(childTrace.Spans).Cost?.Total ?? -1));
    }

    [Fact]
    public async Task An_explicit_cost_wins_and_pricing_can_be_turned_off_or_overridden()
    {
        var explicitExporter = new RecordingExporter();
        await using (var client = TestClient.Create(explicitExporter))
        {
            using (var trace = client.StartTrace("t"))
            using (var span = trace.LlmCall("gpt-4o"))
            {
                span.SetTokenUsage(100, 50);
                span.SetCost(1.25);
            }
            await client.FlushAsync(TimeSpan.FromSeconds(10));
        }
        var priced = Assert.Single(Assert.Single(explicitExporter.Traces).Spans);
        Assert.Equal(1.25, (priced.Cost?.Total ?? -1));
        Assert.True(priced.Metadata.Find(CostCalculator.CostSourceKey).IsNone);

        var offExporter = new RecordingExporter();
        await using (var client = TestClient.Create(o => o.ComputeCosts = false, offExporter))
        {
            Assert.Null(client.PriceCatalog);
            using (var trace = client.StartTrace("t"))
            using (var span = trace.LlmCall("gpt-4o")) span.SetTokenUsage(100, 50);
            await client.FlushAsync(TimeSpan.FromSeconds(10));
        }
        Assert.True(Assert.Single(Assert.Single(offExporter.Traces).Spans).Cost is null);

        var customExporter = new RecordingExporter();
        var catalog = PriceCatalog.Default.With("my-finetune", new ModelPrice(10, 20));
        await using (var client = TestClient.Create(o => o.PriceCatalog = catalog, customExporter))
        {
            using (var trace = client.StartTrace("t"))
            using (var span = trace.LlmCall("my-finetune")) span.SetTokenUsage(1000, 1000);
            await client.FlushAsync(TimeSpan.FromSeconds(10));
        }
        var custom = Assert.Single(Assert.Single(customExporter.Traces).Spans);
        Assert.Equal(0.03, (custom.Cost?.Total ?? -1));
        Assert.Equal(catalog.Version, custom.Metadata.Find(CostCalculator.CatalogVersionKey).Map(p => p.Value).IfNone(""));
    }

    [Fact]
    public async Task LlmCall_and_ToolCall_make_typed_spans()
    {
        var exporter = new RecordingExporter();
        await using var client = TestClient.Create(exporter);
        using (var trace = client.StartTrace("agent"))
        {
            using (trace.LlmCall("gpt-4o-mini", operation: "completion", temperature: 0.2, topP: 0.9, maxTokens: 256)) { }
            using (trace.ToolCall("web_search", new Dictionary<string, object?> { ["engine"] = "bing" })) { }
        }
        await client.FlushAsync(TimeSpan.FromSeconds(10));

        var t = Assert.Single(exporter.Traces);
        var llm = Named(t, "gpt-4o-mini");
        Assert.Equal(SpanType.Llm, llm.Kind);
        Assert.Equal("gpt-4o-mini", (llm.Model ?? ""));
        Assert.Equal("completion", llm.Metadata.Find("operation").Map(p => p.Value).IfNone(""));
        var parameters = (llm.ModelParameters ?? LanguageExt.Map<string, Payload>.Empty);
        Assert.Equal(new[] { "max_tokens", "temperature", "top_p" }, parameters.Keys.ToArray());
        Assert.Equal("256", parameters.Find("max_tokens").Map(p => p.Value).IfNone(""));
        var tool = Named(t, "web_search");
        Assert.Equal(SpanType.Tool, tool.Kind);
        Assert.Equal("bing", tool.Metadata.Find("engine").Map(p => p.Value).IfNone(""));
    }

    [Fact]
    public async Task ToJson_and_Save_write_the_completed_trace()
    {
        var time = new ManualTime(RefData.T0);
        await using var client = TestClient.Create(o => o.TimeProvider = time, new RecordingExporter());
        var (parent, _) = RunRollupExample(client, time);

        using (var doc = JsonDocument.Parse(parent.ToJson()))
        {
            Assert.Equal(parent.TraceId.ToString(), doc.RootElement.GetProperty("trace_id").GetString());
            var span = Assert.Single(doc.RootElement.GetProperty("spans").EnumerateArray());
            Assert.Equal(0.00075, span.GetProperty("cost").GetProperty("total").GetDouble());
        }
        Assert.Contains("\n  ", parent.ToJson(indented: true));

        var path = Path.Combine(Path.GetTempPath(), $"pandaprobe-ref-{Guid.NewGuid():N}.ndjson");
        try
        {
            Assert.True(parent.Save(path));
            var lines = File.ReadAllLines(path);
            Assert.Equal(2, lines.Length);                                  // one span, then the trace
            using var spanLine = JsonDocument.Parse(lines[0]);
            Assert.Equal("gpt-4o", spanLine.RootElement.GetProperty("model").GetString());
            using var traceLine = JsonDocument.Parse(lines[1]);
            Assert.Equal("coordinator", traceLine.RootElement.GetProperty("name").GetString());
            Assert.False(traceLine.RootElement.TryGetProperty("spans", out var spans) && spans.GetArrayLength() > 0);
        }
        finally { File.Delete(path); }
        Assert.False(parent.Save(Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "x.ndjson")));
    }

    [Fact]
    public async Task An_open_trace_describes_what_the_facade_knows()
    {
        await using var client = TestClient.Create(new RecordingExporter());
        using var trace = client.StartTrace("still-running");
        using var doc = JsonDocument.Parse(trace.ToJson());
        Assert.Equal("still-running", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal("RUNNING", doc.RootElement.GetProperty("status").GetString());
        var s = trace.Summary();
        Assert.Equal((0L, (TimeSpan?)null), (s.SpanCount, s.Duration));
    }

    [Fact]
    public void A_disabled_client_hands_out_no_op_helpers()
    {
        var trace = PandaProbeClient.Disabled.StartTrace("off");
        var llm = trace.LlmCall("gpt-4o", temperature: 1);
        Assert.False(llm.IsRecording);
        Assert.False(trace.ToolCall("x").IsRecording);
        llm.SetTokenUsage(1, 1);
        llm.End();
        Assert.Equal(0, trace.Summary().SpanCount);
        var text = new StringWriter();
        trace.PrintTree(text);
        Assert.StartsWith("— Agent Run:", text.ToString());
        trace.End();
    }
}
