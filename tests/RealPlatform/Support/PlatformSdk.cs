using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PandaProbe.Pipeline;
using Xunit;

namespace PandaProbe.RealPlatform.Support;

/// <summary>
/// The public SDK as an application configures it for the real platform (its endpoint and key, a project of the
/// test's own, a spool folder of its own, no environment variables), flushed until nothing waits, and the assertions
/// that compare a stored JSON value with what was recorded.
/// </summary>
public static class PlatformSdk
{
    /// <summary>The folder every spool of these tests lives under.</summary>
    public static string SpoolRoot { get; } = Path.Combine(Path.GetTempPath(), "pandaprobe-realplatform-tests");

    /// <summary>A project name of its own for one test (the stack, its key and its rate limit may be shared; the data is not).</summary>
    public static string Project(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>A client sending to <paramref name="stack"/> for <paramref name="project"/>, every request recorded in <paramref name="log"/>.</summary>
    public static PandaProbeClient Client(PlatformStack stack, string project, RequestLog log, string spool, Action<PandaProbeOptions>? configure = null)
    {
        var options = new PandaProbeOptions
        {
            RegisterProcessExitHandler = false,
            ApiKey = stack.ApiKey,
            ProjectName = project,
            Endpoint = stack.Endpoint,
            EnvironmentVariables = new Dictionary<string, string?>(),
            HttpMessageHandlerFactory = log.Handler,
        };
        options.Spool.Directory = spool;
        configure?.Invoke(options);
        return new PandaProbeClient(options);
    }

    /// <summary>
    /// Flushes until nothing waits, neither in the pipeline nor in the spool (bounded): the platform's rate limit is
    /// shared with the other tests of the run, so a request may have to wait in the spool for its slot.
    /// </summary>
    public static async Task<FlushResult> DrainAsync(PandaProbeClient client, Action<string> say, TimeSpan? bound = null)
    {
        var clock = Stopwatch.StartNew();
        FlushResult flush;
        do
        {
            flush = await client.FlushAsync(TimeSpan.FromSeconds(60));
            say($"  flush at {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: completed {flush.Completed}, exported {flush.Exported}, "
                + $"spooled {flush.Spooled}, replayed {flush.Replayed}, still spooled {flush.StillSpooled}, pending {flush.Pending}, dropped {flush.Dropped}");
        }
        while ((flush.StillSpooled > 0 || flush.Pending > 0) && clock.Elapsed < (bound ?? TimeSpan.FromMinutes(2)));
        return flush;
    }

    /// <summary>Asserts that the client lost nothing: no drop, no failure, nothing left in the spool or the pipeline.</summary>
    public static void AssertDelivered(PandaProbeClient client, FlushResult last, RequestLog log)
    {
        var health = client.Health;
        var why = $"health: exported {health.Exported}, failed {health.Failed}, dropped {health.Dropped} "
            + $"[{string.Join(", ", health.DroppedByReason.Where(d => d.Value > 0).Select(d => $"{d.Key}: {d.Value}"))}], "
            + $"rejections [{string.Join(", ", health.Rejections.Where(r => r.Value > 0).Select(r => $"{r.Key}: {r.Value}"))}]; "
            + $"requests:\n  {string.Join("\n  ", log.Requests)}";
        Assert.True(health.Dropped == 0 && health.Failed == 0 && last.StillSpooled == 0 && last.Pending == 0, why);
    }

    /// <summary>Writes what the client sent and what the platform answered.</summary>
    public static void Report(RequestLog log, Action<string> say, string who = "client")
    {
        say($"{who} sent {log.Requests.Count} requests:");
        foreach (var r in log.Requests) say($"  [{r.At.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s] {r}");
    }

    /// <summary>The JSON System.Text.Json writes for <paramref name="value"/> (what the SDK snapshots a value as), as an element.</summary>
    public static JsonElement Json(object? value) => value is JsonElement e ? e : JsonSerializer.SerializeToElement(value);

    /// <summary>Asserts that a stored JSON value equals <paramref name="expected"/> (objects compared without regard to key order).</summary>
    public static void AssertJson(object? expected, JsonElement stored, string what)
    {
        var want = Json(expected);
        Assert.True(JsonElement.DeepEquals(want, stored), $"{what}: sent {Clip(want.GetRawText())}, stored {Clip(stored.GetRawText())}");
    }

    /// <summary>A stored string column (null when SQL null).</summary>
    public static string? Str(this JsonElement row, string column) =>
        row.GetProperty(column) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    /// <summary>A stored bigint column (null when SQL null).</summary>
    public static long? Long(this JsonElement row, string column) =>
        row.GetProperty(column) is { ValueKind: JsonValueKind.Number } n ? n.GetInt64() : null;

    /// <summary>Asserts a stored time equals a recorded one, to the microsecond (the platform's precision and the SDK's).</summary>
    public static void AssertTime(DateTimeOffset? sent, JsonElement row, string column, string what)
    {
        var stored = row.Long(column);
        Assert.True(sent is { } s && stored == Micros(s),
            $"{what}.{column}: sent {sent:O} ({(sent is { } x ? Micros(x) : null)} µs), stored {stored} µs");
    }

    /// <summary>Microseconds since the Unix epoch (see <see cref="Stored.Micros"/>).</summary>
    public static long Micros(DateTimeOffset t) => Stored.Micros(t);

    static string Clip(string text) => text.Length <= 600 ? text : text[..300] + $" …({text.Length} chars)… " + text[^200..];
}
