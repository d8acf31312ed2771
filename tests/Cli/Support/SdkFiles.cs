using PandaProbe.Exporters;
using PandaProbe.Model;

namespace PandaProbe.Cli.Tests.Support;

/// <summary>Trace files written by the real SDK (its file exporter), in a temporary directory deleted on dispose.</summary>
internal sealed class SdkFiles : IDisposable
{
    public DirectoryInfo Dir { get; } = Directory.CreateTempSubdirectory("pp-cli-cmd-");

    public string PathOf(string name) => Path.Combine(Dir.FullName, name);

    /// <summary>
    /// A coordinator trace with an LLM span and a sub-agent trace (with its own LLM span), a late tool span and a score;
    /// a second trace with a failed retriever span in session "s1".
    /// </summary>
    public async Task<(string File, Guid Coordinator, Guid Researcher, Guid Second)> WriteAgentsAsync(string name = "traces.jsonl")
    {
        var file = PathOf(name);
        await using var client = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(file) } });
        var coordinator = client.StartTrace("coordinator", input: "plan");
        var late = coordinator.Span("late-tool", SpanType.Tool);
        using (var llm = coordinator.Span("plan", SpanType.Llm, model: "gpt-4o"))
        {
            llm.SetTokenUsage(100, 50);
            llm.SetCost(0.001);
        }
        var researcher = client.StartTrace("researcher");
        using (var llm = researcher.Span("search", SpanType.Llm, model: "claude-3-5-sonnet"))
        {
            llm.SetTokenUsage(800, 400);
            llm.SetCost(0.0084);
        }
        researcher.End();
        coordinator.End();
        late.End();
        client.Score(coordinator.TraceId, "quality", 0.5);
        var second = client.StartTrace("second", sessionId: "s1");
        using (var s = second.Span("lookup", SpanType.Retriever)) s.SetError("not found");
        second.End();
        await client.FlushAsync(TimeSpan.FromSeconds(10));
        return (file, coordinator.TraceId, researcher.TraceId, second.TraceId);
    }

    /// <summary><paramref name="count"/> simple traces, each with one LLM span; returns their ids in file order.</summary>
    public async Task<(string File, IReadOnlyList<Guid> Ids)> WriteManyAsync(int count, string name = "many.jsonl")
    {
        var file = PathOf(name);
        var ids = new List<Guid>();
        await using var client = new PandaProbeClient(new PandaProbeOptions { Enabled = true, Exporters = { new FileTraceExporter(file) } });
        for (var i = 0; i < count; i++)
        {
            var trace = client.StartTrace($"run-{i}");
            using (var llm = trace.Span("call", SpanType.Llm, model: "gpt-4o-mini")) llm.SetTokenUsage(10, 5);
            trace.End();
            ids.Add(trace.TraceId);
            await client.FlushAsync(TimeSpan.FromSeconds(10));   // keep file order = creation order
        }
        return (file, ids);
    }

    public void Dispose()
    {
        try { Dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
