using PandaProbe.Model;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Text.Json;

namespace PandaProbe.Benchmarks;

/// <summary>
/// What durable delivery and hardened capture cost (<c>--only delivery</c>). <i>Write-ahead</i>: the calling thread's
/// time per LLM unit with the platform exporter and its spool, without and with write-ahead (a file written and
/// flushed to disk before <c>Dispose</c> returns), beside OpenTelemetry's unit; the export side never runs (a virtual
/// clock), so the figure is the caller's share alone. <i>Outage</i>: whole-process CPU per trace while the platform
/// refuses connections and traces go to the spool (drained, every trace accounted for). <i>Capture</i>: the calling
/// thread's time to record a 10 MB string and dictionaries of 200,000 and 1,000,000 entries, beside serializing
/// them with System.Text.Json (what attaching them to an OpenTelemetry tag costs).
/// </summary>
public static class DeliveryProbe
{
    public static void Run()
    {
        var root = Directory.CreateTempSubdirectory("pandaprobe-delivery-");
        try
        {
            WriteAhead(root.FullName);
            Outage(root.FullName);
            Capture();
        }
        finally
        {
            try { root.Delete(recursive: true); } catch (IOException) { }
        }
    }

    static Uri Refusing()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    static PandaProbeOptions Platform(string spool, Uri endpoint, bool writeAhead, IScheduler? scheduler, bool flush = false)
    {
        var options = new PandaProbeOptions
        {
            ApiKey = "sk_pp_bench_0123456789", ProjectName = "bench", Endpoint = endpoint.ToString(),
            RegisterProcessExitHandler = false, EnvironmentVariables = new Dictionary<string, string?>(),
            Scheduler = scheduler, MaxRetries = 0, InitialBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromSeconds(1), MaxQueueSize = 100_000, BatchSize = 100,
        };
        options.Spool.Directory = spool;
        options.Spool.WriteAhead = writeAhead;
        options.Spool.MaxBytes = 1L << 30;
        options.Spool.FlushToDisk = flush;
        return options;
    }

    static void WriteAhead(string root)
    {
        const int n = 2_000;
        Console.WriteLine($"Write-ahead, calling thread per LLM unit (median of 3 rounds of {n:N0}; the export side does not run):");
        using var otel = new OtelPeer();
        var rows = new List<(string, Action)> { ("OpenTelemetry, batch processor", () => Work.OtelLlmSpan(otel.Source)) };
        var endpoint = Refusing();
        var off = new PandaProbeClient(Platform(Path.Combine(root, "plain"), endpoint, false, new HistoricalScheduler()));
        var on = new PandaProbeClient(Platform(Path.Combine(root, "ahead"), endpoint, true, new HistoricalScheduler()));
        var flushed = new PandaProbeClient(Platform(Path.Combine(root, "flushed"), endpoint, true, new HistoricalScheduler(), flush: true));
        rows.Add(("PandaProbe, spool, no write-ahead", () => Work.PandaLlmSpan(off)));
        rows.Add(("PandaProbe, write-ahead (a file per trace)", () => Work.PandaLlmSpan(on)));
        rows.Add(("PandaProbe, write-ahead + FlushToDisk", () => Work.PandaLlmSpan(flushed)));
        foreach (var (label, unit) in rows)
        {
            for (var i = 0; i < 2_000; i++) unit();
            var times = new double[3];
            var bytes = new double[3];
            for (var r = 0; r < 3; r++)
            {
                var b = GC.GetAllocatedBytesForCurrentThread();
                var t = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++) unit();
                times[r] = Stopwatch.GetElapsedTime(t).TotalMicroseconds / n;
                bytes[r] = (GC.GetAllocatedBytesForCurrentThread() - b) / (double)n;
            }
            Array.Sort(times);
            Array.Sort(bytes);
            Console.WriteLine($"  {label,-48} {times[1],9:N1} µs {bytes[1],8:N0} B");
        }
        Console.WriteLine($"  (write-ahead files written: {Directory.GetFiles(Path.Combine(root, "ahead")).Length:N0})");
        off.Dispose();
        on.Dispose();
        flushed.Dispose();
    }

    static void Outage(string root)
    {
        const int n = 5_000;
        Console.WriteLine($"Outage: {n:N0} LLM units while the platform refuses connections, spooled (whole-process CPU, drained):");
        var spool = Path.Combine(root, "outage");
        using var client = new PandaProbeClient(Platform(spool, Refusing(), false, null));
        for (var i = 0; i < 50; i++) Work.PandaLlmSpan(client);
        client.FlushAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();   // the first batch opens the outage
        var before = client.Health;
        var cpu = ProcessCpu.Now();
        var t = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++) Work.PandaLlmSpan(client);
        var caller = Stopwatch.GetElapsedTime(t);
        var flushed = client.FlushAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        var used = ProcessCpu.Now() - cpu;
        var health = client.Health;
        Console.WriteLine($"  CPU per trace {used.TotalMicroseconds / n,8:N1} µs, caller {caller.TotalMicroseconds / n:N1} µs; " +
                          $"spooled {health.Spooled - before.Spooled:N0} of {n:N0}, dropped {health.Dropped - before.Dropped:N0}, " +
                          $"flush completed: {flushed.Completed}; spool size {Directory.GetFiles(spool).Sum(f => new FileInfo(f).Length) / 1024:N0} KB");
    }

    static void Capture()
    {
        Console.WriteLine("Capture of large values on the calling thread (median of 3; SetInput vs JsonSerializer.Serialize):");
        using var client = PartsProbe.CallerOnlyClient();
        var values = new (string, object)[]
        {
            ("10 MB string", new string('x', 10_000_000)),
            ("dictionary of 200,000 entries", Enumerable.Range(0, 200_000).ToDictionary(i => $"key-{i}", i => i)),
            ("dictionary of 1,000,000 entries", Enumerable.Range(0, 1_000_000).ToDictionary(i => $"key-{i}", i => i)),
        };
        foreach (var (label, value) in values)
        {
            double Median(Action a)
            {
                a();
                var times = new double[3];
                for (var r = 0; r < 3; r++)
                {
                    var t = Stopwatch.GetTimestamp();
                    a();
                    times[r] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                }
                Array.Sort(times);
                return times[1];
            }
            var panda = Median(() =>
            {
                using var trace = client.StartTrace("big");
                using var span = trace.Span("tool", SpanType.Tool);
                span.SetInput(value);
            });
            var json = Median(() => JsonSerializer.Serialize(value));
            Console.WriteLine($"  {label,-34} PandaProbe {panda,8:N2} ms   System.Text.Json {json,8:N2} ms");
        }
    }
}
