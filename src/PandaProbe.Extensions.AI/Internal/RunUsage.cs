namespace PandaProbe.Extensions.AI.Internal;

/// <summary>
/// The tokens of one agent run that spans of their own already carry (LLM spans of a <see cref="PandaProbeChatClient"/>
/// or of ingested <c>chat</c> activities, nested AGENT spans), so that the run's AGENT span counts only the rest. An
/// agent run <see cref="Begin"/>s one in its flow; the layers that record a model call's usage <see cref="Note"/> its
/// counts (for that run and the runs around it); the run reads <see cref="Prompt"/> and <see cref="Completion"/> when it
/// ends, and what it records itself it notes for the runs around it (<see cref="NoteOuter"/>). Never throws.
/// </summary>
internal sealed class RunUsage
{
    static readonly AsyncLocal<RunUsage?> Current = new();

    readonly RunUsage? outer;
    long prompt, completion, notes, directPrompt, directCompletion;

    RunUsage(RunUsage? outer) => this.outer = outer;

    /// <summary><c>true</c> once a span inside the run (or a nested run) recorded token usage.</summary>
    public bool Recorded => Interlocked.Read(ref notes) != 0;

    /// <summary>The prompt tokens that spans inside the run already carry.</summary>
    public long Prompt => Interlocked.Read(ref prompt);

    /// <summary>The completion tokens that spans inside the run already carry.</summary>
    public long Completion => Interlocked.Read(ref completion);

    /// <summary>The prompt tokens of spans whose nearest run is this one (its own model calls), not of nested runs.</summary>
    public long DirectPrompt => Interlocked.Read(ref directPrompt);

    /// <summary>The completion tokens of spans whose nearest run is this one, not of nested runs.</summary>
    public long DirectCompletion => Interlocked.Read(ref directCompletion);

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

    /// <summary>Adds a span's recorded usage to the run current in this flow and the runs around it.</summary>
    public static void Note(long promptTokens, long completionTokens)
    {
        try
        {
            if (Current.Value is not { } run) return;
            Interlocked.Add(ref run.directPrompt, promptTokens);
            Interlocked.Add(ref run.directCompletion, completionTokens);
            run.Add(promptTokens, completionTokens);
        }
        catch (Exception ex) { SelfLog.Write($"agent usage: {ex.Message}"); }
    }

    /// <summary>Adds the usage this run recorded on its own span to the runs around it.</summary>
    public void NoteOuter(long promptTokens, long completionTokens) => outer?.Add(promptTokens, completionTokens);

    void Add(long promptTokens, long completionTokens)
    {
        for (var run = this; run is not null; run = run.outer)
        {
            Interlocked.Add(ref run.prompt, promptTokens);
            Interlocked.Add(ref run.completion, completionTokens);
            Interlocked.Increment(ref run.notes);
        }
    }
}
