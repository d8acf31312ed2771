using System.Globalization;

namespace PandaProbe.Benchmarks;

/// <summary>
/// What each benchmark made, what reached its exporter and what was dropped, so a drop path can never pass for a fast
/// path: every table in the report is printed next to these counts.
/// </summary>
public static class Ledger
{
    public sealed record Entry(string Benchmark, string Sdk, long Made, long Exported, long Dropped, string Note);

    // BenchmarkDotNet's default toolchain runs each benchmark in its own process, so entries go to a shared file in the
    // temporary folder (one tab-separated line each); the host clears it before the run and reads it afterwards.
    static readonly string FilePath = Path.Combine(Path.GetTempPath(), "pandaprobe-benchmarks-ledger.tsv");
    static readonly object Gate = new();

    public static void Reset()
    {
        try { File.Delete(FilePath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static IReadOnlyCollection<Entry> Entries
    {
        get
        {
            try
            {
                if (!File.Exists(FilePath)) return [];
                return File.ReadAllLines(FilePath).Select(l => l.Split('\t')).Where(f => f.Length == 6)
                    .Select(f => new Entry(f[0], f[1], long.Parse(f[2], CultureInfo.InvariantCulture),
                        long.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture), f[5]))
                    .ToArray();
            }
            catch (IOException) { return []; }
        }
    }

    public static void Record(string benchmark, string sdk, long made, long exported, long dropped, string note = "")
    {
        var line = string.Join('\t', benchmark, sdk, made.ToString(CultureInfo.InvariantCulture),
            exported.ToString(CultureInfo.InvariantCulture), dropped.ToString(CultureInfo.InvariantCulture), note);
        lock (Gate)
        {
            try { File.AppendAllText(FilePath, line + "\n"); }
            catch (IOException ex) { Console.Error.WriteLine($"// ledger: {ex.Message}"); }
        }
    }

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
