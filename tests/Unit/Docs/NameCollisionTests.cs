using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PandaProbe;
using PandaProbe.Model;   // SpanType, SpanStatus and the trace read model
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Docs;

/// <summary>
/// A user's file with the usings the README's first block and its OpenTelemetry example ask for, side by side with
/// <c>System.Diagnostics</c> and <c>OpenTelemetry.Trace</c>, and no alias: this file compiling is the check that the
/// names users write (<c>SpanType</c>, <c>Probe</c>, <c>TraceContext</c>, <c>TraceRecord</c>, <c>Span</c>, …) do not collide (CS0104). Its test runs
/// the README's first block as written.
/// </summary>
[Collection(ProbeCollection.Name)]
public sealed class NameCollisionTests
{
    [Fact]
    public async Task The_first_readme_block_compiles_and_runs_beside_the_OpenTelemetry_usings()
    {
        var memory = new PandaProbe.Exporters.InMemoryTraceExporter();
        await using (ProbeScope.Install(memory))
        {
            using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Probe.ActivitySourceName).Build();
            using (var trace = Probe.StartTrace("my-agent", input: new { messages = new[] { new { role = "user", content = "Hello" } } }))
            {
                using (var llm = trace.Span("generate", SpanType.Llm, model: "gpt-4o"))
                {
                    llm.SetTokenUsage(promptTokens: 150, completionTokens: 80);
                    llm.SetCost(0.002);
                    Assert.Equal("generate", Activity.Current?.DisplayName);
                }
                trace.SetOutput(new { messages = new[] { new { role = "assistant", content = "Hi there!" } } });
            }
            await Probe.FlushAsync();
        }
        // The read model named as an exporter or a subscriber names it, beside System.Diagnostics.Trace.
        TraceRecord exported = Assert.Single(memory.Traces);
        Span llmSpan = Assert.Single(exported.Spans);
        Assert.Equal(SpanType.Llm, llmSpan.Kind);
        Assert.Equal(SpanStatus.Ok, llmSpan.Status);
        Assert.Equal("my-agent", exported.Name);
        Assert.NotNull(Trace.Listeners);   // System.Diagnostics.Trace, unqualified
    }
}
