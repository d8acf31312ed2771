using PandaProbe.Model.Delivery;
using PandaProbe.Model.Sampling;

namespace PandaProbe.Pipeline;

/// <summary>
/// The optional rate-fit sampler (<c>Sampling.FitPlatformRate</c>): once the platform exporter has learned the rate the
/// platform accepts traces at (<see cref="Learn"/>, from its 429s), the preparation step keeps completed traces at that
/// rate, errors and scored traces first (<see cref="RateFit"/>), instead of letting a backlog grow in the spool. A trace
/// it leaves out leaves with its late spans and scores, and is counted as sampled out, like the ratio's.
/// </summary>
internal sealed class RateFitSampler(TimeProvider time)
{
    const int RememberedLimit = 100_000;
    readonly object gate = new();
    readonly System.Collections.Generic.HashSet<TraceId> scored = [];
    RateFit state = RateFit.Open;

    /// <summary>The rate traces are fitted to, once known.</summary>
    public PlatformRate? Rate
    {
        get { lock (gate) return state.Rate; }
    }

    /// <summary>The platform announced the rate of <c>POST /traces</c>.</summary>
    public void Learn(PlatformRate rate)
    {
        lock (gate) state = state.Learn(rate, time.GetUtcNow());
    }

    /// <summary>A score was submitted for a trace before it completed: the trace counts as a priority.</summary>
    public void Scored(TraceId trace)
    {
        lock (gate)
        {
            if (state.Rate is null) return;
            if (scored.Count >= RememberedLimit) scored.Clear();
            scored.Add(trace);
        }
    }

    /// <summary>Whether a completed trace is kept.</summary>
    public bool Admit(TraceRecord trace)
    {
        lock (gate)
        {
            if (state.Rate is null) return true;
            var priority = scored.Remove(trace.Id)
                || trace.Status == TraceStatus.Error || trace.Spans.Exists(static s => s.Status == SpanStatus.Error);
            (state, var keep) = state.Admit(priority, time.GetUtcNow());
            return keep;
        }
    }
}
