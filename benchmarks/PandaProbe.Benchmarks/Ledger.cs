using System.Collections.Concurrent;

namespace PandaProbe.Benchmarks;

/// <summary>
/// What each benchmark made, what reached its exporter and what was dropped, so a drop path can never pass for a fast
/// path: every table in the report is printed next to these counts.
/// </summary>
public static class Ledger
{
    public sealed record Entry(string Benchmark, string Sdk, long Made, long Exported, long Dropped, string Note);

    static readonly ConcurrentQueue<Entry> entries = new();

    public static IReadOnlyCollection<Entry> Entries => entries.ToArray();

    public static void Record(string benchmark, string sdk, long made, long exported, long dropped, string note = "") =>
        entries.Enqueue(new Entry(benchmark, sdk, made, exported, dropped, note));

    public static void RecordPanda(string benchmark, PandaPeer peer, long spansMade)
    {
        peer.Flush();
        var h = peer.Client.Health;
        var reasons = string.Join(", ", h.DroppedByReason.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}"));
        var rejected = h.Rejections.Values.Sum();
        Record(benchmark, "PandaProbe", spansMade, peer.ExportedSpans, h.Dropped,
            $"events posted {h.EventsPosted:N0}; dropped events {(reasons.Length == 0 ? "0" : reasons)}; rejected {rejected}");
    }

    public static void RecordOtel(string benchmark, OtelPeer peer, long activitiesMade)
    {
        peer.Flush();
        var exported = peer.Exporter.Exported;
        Record(benchmark, "OpenTelemetry", activitiesMade, exported, activitiesMade - exported,
            "activities (root activities included)");
    }
}
