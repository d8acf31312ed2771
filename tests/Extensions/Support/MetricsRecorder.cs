using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PandaProbe.Extensions.Tests.Support;

/// <summary>One measurement as a <see cref="MeterListener"/> saw it.</summary>
public sealed record Observation(string Meter, string Instrument, string? Unit, string Kind, double Value,
    IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>
/// Listens to the instruments of the named meters (the SDK's <c>PandaProbe</c> by default) and keeps every
/// measurement. Meters are process-wide, so tests select their own observations by a value only they use (a unique
/// request model or agent name).
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    readonly MeterListener listener = new();
    readonly ConcurrentQueue<Observation> observations = new();
    readonly HashSet<string> meters;

    public MetricsRecorder(params string[] meterNames)
    {
        meters = new HashSet<string>(meterNames.Length == 0 ? ["PandaProbe"] : meterNames, StringComparer.Ordinal);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (meters.Contains(instrument.Meter.Name)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        listener.Start();
    }

    void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, tag) in tags) map[key] = tag;
        var kind = instrument.GetType().Name switch
        {
            var n when n.StartsWith("Histogram", StringComparison.Ordinal) => "histogram",
            var n when n.StartsWith("Counter", StringComparison.Ordinal) => "counter",
            var n => n,
        };
        observations.Enqueue(new Observation(instrument.Meter.Name, instrument.Name, instrument.Unit, kind, value, map));
    }

    /// <summary>The observations whose tag <paramref name="key"/> is <paramref name="value"/>.</summary>
    public List<Observation> With(string key, string value) =>
        observations.Where(o => o.Tag(key) == value).ToList();

    public void Dispose() => listener.Dispose();
}
