namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// Whether the model calls of one agent run had their token usage recorded on spans of their own (LLM spans of a
/// <see cref="PandaProbeChatClient"/> or of ingested <c>chat</c> activities), so that the run's AGENT span does not
/// count the same tokens again. An agent run <see cref="Begin"/>s one in its flow; the layers that record a model
/// call's usage <see cref="Note"/> it; the run asks <see cref="Recorded"/> when it ends. A run that records the usage
/// itself notes it for the run around it (an orchestrator over sub-agents). Never throws.
/// </summary>
internal sealed class RunUsage
{
    static readonly AsyncLocal<RunUsage?> Current = new();

    readonly RunUsage? outer;
    int recorded;

    RunUsage(RunUsage? outer) => this.outer = outer;

    /// <summary><c>true</c> once a model call inside the run (or a nested run) recorded its usage on a span.</summary>
    public bool Recorded => Volatile.Read(ref recorded) != 0;

    /// <summary>Starts the accumulator of a run: current in this flow, so it flows into the calls the run makes.</summary>
    public static RunUsage? Begin()
    {
        try
        {
            var usage = new RunUsage(Current.Value);
            Current.Value = usage;
            return usage;
        }
        catch (Exception ex)
        {
            SelfLog.Write($"agent usage: {ex.Message}");
            return null;
        }
    }

    /// <summary>Marks the run current in this flow (and the runs around it): a span recorded a model call's usage.</summary>
    public static void Note()
    {
        try { Current.Value?.Mark(); }
        catch (Exception ex) { SelfLog.Write($"agent usage: {ex.Message}"); }
    }

    /// <summary>Marks the runs around this one: this run recorded its usage on its own span.</summary>
    public void NoteOuter() => outer?.Mark();

    void Mark()
    {
        for (var run = this; run is not null; run = run.outer) Volatile.Write(ref run.recorded, 1);
    }
}
