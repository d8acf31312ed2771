using PandaProbe.Model.Delivery;

namespace PandaProbe.Http;

/// <summary>
/// Keeps the platform exporter at the rate each route accepts. The real platform limits <c>POST /traces</c> per API key
/// (100 a minute) and says so only in the body of a bare 429; once a route's rate is known (<see cref="Learn"/>) every
/// request to it, live or replayed from the spool, takes a slot (<see cref="Take"/>) and waits for it, so the platform
/// stops answering 429 instead of being hammered and backed off from. Traces offered faster than that wait in the spool
/// (nothing is lost), and one warning says so, naming what fixes it. The decisions are the pure
/// <see cref="RatePace"/> and <see cref="OfferedRate"/>; this class holds their current values.
/// </summary>
internal sealed class RateGovernor(TimeProvider time, Action<string> log, Action<PlatformRate>? onTraceRate = null)
{
    readonly object gate = new();
    readonly RatePace?[] paces = new RatePace?[4];   // by RequestKind (1..3)
    OfferedRate? offered;
    bool warned;

    /// <summary>The rate <c>POST /traces</c> is paced to, once the platform announced it.</summary>
    public PlatformRate? TraceRate
    {
        get { lock (gate) return paces[(int)RequestKind.Trace]?.Rate; }
    }

    /// <summary>True once the warning about a sustained rate above the platform's was written.</summary>
    public bool Warned
    {
        get { lock (gate) return warned; }
    }

    /// <summary>How long a request of <paramref name="kind"/> waits for its slot (zero when its route is not paced).</summary>
    public TimeSpan Take(RequestKind kind)
    {
        lock (gate)
        {
            if (paces[(int)kind] is not { } pace) return TimeSpan.Zero;
            var (next, wait) = pace.Take(time.GetUtcNow());
            paces[(int)kind] = next;
            return wait;
        }
    }

    /// <summary>
    /// How long <paramref name="waiting"/> more requests of <paramref name="kind"/>'s route would wait for their slots,
    /// after those already handed out; zero when the route is not paced.
    /// </summary>
    public TimeSpan Backlog(RequestKind kind, long waiting = 0)
    {
        lock (gate)
        {
            if (paces[(int)kind] is not { } pace) return TimeSpan.Zero;
            var ahead = pace.Next - time.GetUtcNow();
            return (ahead > TimeSpan.Zero ? ahead : TimeSpan.Zero) + pace.Spacing * Math.Max(0, waiting);
        }
    }

    /// <summary>A 429 announced the route's rate: its requests are paced to it from now on.</summary>
    public void Learn(RequestKind kind, PlatformRate rate)
    {
        var now = time.GetUtcNow();
        string? line = null;
        lock (gate)
        {
            var known = paces[(int)kind];
            paces[(int)kind] = known is null ? RatePace.After429(rate, now) : known.At(rate).Throttled(now);
            if (known is null || known.Rate != rate)
            {
                line = $"the platform accepts at most {rate.Count} requests {rate.Per} to {Route(kind)} for this API key; they are paced to that rate from now on.";
                if (kind == RequestKind.Trace) offered = new OfferedRate(now, 0);
            }
        }
        if (line is not null) Write(line);
        if (kind == RequestKind.Trace && onTraceRate is not null)
        {
            try { onTraceRate(rate); } catch { /* the sampler must not break delivery */ }
        }
    }

    /// <summary>
    /// Traces handed to the exporter's lane, as they arrive (before any pacing wait); once the rate of
    /// <c>POST /traces</c> is known, an average above it over at least one of its windows writes the warning, once.
    /// </summary>
    public void Offer(int traces)
    {
        if (traces <= 0) return;
        string? line = null;
        lock (gate)
        {
            if (offered is null || warned || paces[(int)RequestKind.Trace] is not { } pace) return;
            var now = time.GetUtcNow();
            offered = offered.Offer(traces);
            if (!offered.Above(pace.Rate, now)) return;
            warned = true;
            line = $"traces complete faster than the platform accepts them ({pace.Rate} per API key for POST /traces): "
                + "they are sent at the platform's rate and the rest waits in the spool, which grows while this lasts. "
                + "Keep fewer traces (PandaProbeOptions.Sampling.Ratio or PANDAPROBE_SAMPLE_RATE; errors are still kept by "
                + "Sampling.KeepErrors), or raise the platform's limit (the \"100/minute\" limit on POST /traces in its traces route).";
        }
        Write(line);
    }

    void Write(string line)
    {
        try { log(line); } catch { /* logging must not break delivery */ }
    }

    static string Route(RequestKind kind) => kind switch
    {
        RequestKind.Trace => "POST /traces",
        RequestKind.AddSpans => "POST /traces/{id}/spans",
        _ => "POST /evaluations/trace-scores",
    };
}
