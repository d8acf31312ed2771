using PandaProbe.Model;
using PandaProbe.Pipeline;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Unit.Support;

/// <summary>The smallest traces the export-side tests push through a pipeline or an operator.</summary>
public static class PipelineTraces
{
    /// <summary>Starts and ends one trace through <paramref name="pipeline"/>, on this thread; returns its id.</summary>
    internal static TraceId OneTrace(TracePipeline pipeline, DateTimeOffset at)
    {
        var id = TraceId.New();
        pipeline.Start(new TraceStarted(id, "t", at))!.Raise(new TraceEnded(id, at.AddMilliseconds(5)));
        return id;
    }

    /// <summary>A completed trace named <paramref name="name"/>, as the reducer outputs it.</summary>
    internal static Output.TraceCompleted Completed(string name = "t")
    {
        var id = TraceId.New();
        return TraceReducer.Fold([new TraceStarted(id, name, DateTimeOffset.UnixEpoch), new TraceEnded(id, DateTimeOffset.UnixEpoch)])
            .Outputs.OfType<Output.TraceCompleted>().Single();
    }
}
