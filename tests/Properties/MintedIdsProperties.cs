using FsCheck.Xunit;
using PandaProbe.Model;
using PandaProbe.Properties.Generators;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties;

/// <summary>
/// The SDK's traces keep no ids of ended spans (their span ids are minted fresh, so none can repeat): for any script
/// whose span ids are all distinct, such a trace gives exactly the outputs of the fold that keeps them, at any size.
/// </summary>
public class MintedIdsProperties
{
    [Property(MaxTest = 100)]
    public bool A_trace_that_keeps_no_ended_ids_folds_distinct_ids_as_the_one_that_does(byte[] plan)
    {
        var (trace, at) = (Ids.Trace(5), Values.Epoch);
        var start = new TraceStarted(trace, "t", at);
        var script = new List<TraceEvent>();
        var open = new Stack<SpanId>();
        var next = 0;
        foreach (var b in (plan ?? []).Concat(Enumerable.Repeat((byte)0, (plan?.Length ?? 0) * 3)))   // up to hundreds of spans
        {
            if (b % 3 != 2 || open.Count == 0)
            {
                var id = Ids.Span(5, next++);
                script.Add(new SpanStarted(trace, id, open.Count > 0 && b % 2 == 0 ? open.Peek() : null, $"s{next}", SpanType.Other, at));
                open.Push(id);
            }
            else script.Add(new SpanEnded(trace, open.Pop(), at));
            if (b == 255) script.Add(new TraceEnded(trace, at));
        }
        while (open.Count > 0) script.Add(new SpanEnded(trace, open.Pop(), at));
        script.Add(new TraceEnded(trace, at));

        var kept = TraceReducer.Fold([start, .. script]).Outputs.ToList();
        var state = TraceReducer.Start(start, mintedIds: true).State;
        var minted = new List<Output> { new Output.TraceStarted(start) };
        foreach (var e in script)
        {
            var (after, output) = TraceReducer.Apply(state, e);
            state = after;
            if (output is not null) minted.Add(output);
        }
        return kept.SequenceEqual(minted);
    }
}
