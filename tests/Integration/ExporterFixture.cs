using PandaProbe.Http;
using System.Collections;
using System.Collections.Concurrent;
using PandaProbe.Exporters;
using PandaProbe.Integration.Support;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;

namespace PandaProbe.Integration;

/// <summary>An exporter wired to a fake platform with millisecond backoffs, recording errors and log lines.</summary>
internal sealed class ExporterUnderTest : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(1500);

    public ExporterUnderTest(Uri endpoint, Func<SettingsOverrides, SettingsOverrides>? tweak = null, bool shrinkWaits = false,
        string? spoolDirectory = null)
    {
        var overrides = new SettingsOverrides
        {
            ApiKey = "sk_pp_0123456789abcdef",
            ProjectName = "integration tests",
            Endpoint = endpoint.ToString(),
            MaxRetries = 3,
            MaxIngestionLagRetries = 4,
            InitialBackoff = TimeSpan.FromMilliseconds(1),
            MaxBackoff = TimeSpan.FromMilliseconds(8),
            RetryAfterCap = TimeSpan.FromMilliseconds(20),
            RequestTimeout = RequestTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            MaxConcurrentRequests = 4,
        };
        Settings = EnvironmentSettings.Resolve(tweak is null ? overrides : tweak(overrides), new Hashtable());
        Clock = shrinkWaits ? new TestClock(Settings.RequestTimeout) : null;
        Exporter = new HttpTraceExporter(Settings, new HttpExporterOptions
        {
            TimeProvider = Clock ?? TimeProvider.System,
            Jitter = () => 0.5,
            OnError = Errors.Add,
            Log = Logs.Add,
            Spool = spoolDirectory is null ? null : new PandaProbe.Spool.FileSpool(spoolDirectory, 64L << 20, TimeSpan.FromDays(1)),
        });
    }

    public SdkSettings Settings { get; }
    public TestClock? Clock { get; }
    public HttpTraceExporter Exporter { get; }
    public ConcurrentBag<Exception> Errors { get; } = new();
    public ConcurrentBag<string> Logs { get; } = new();

    public IEnumerable<PandaProbeDeliveryException> DeliveryErrors => Errors.OfType<PandaProbeDeliveryException>();

    public async Task<ExportResult> ExportAsync(ExportBatch batch, CancellationToken ct = default)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(20)); // a hang fails the test instead of the run
        return await Exporter.ExportAsync(batch, bound.Token);
    }

    public void Dispose() => Exporter.Dispose();
}
