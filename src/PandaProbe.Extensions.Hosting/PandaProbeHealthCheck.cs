using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PandaProbe.Pipeline;

namespace PandaProbe.Extensions.Hosting;

/// <summary>
/// Reports the registered <see cref="PandaProbeClient"/>'s <see cref="PandaProbeClient.Health"/>: healthy while
/// nothing was dropped and no delivery failed since the previous check, else the registration's failure status
/// (<see cref="HealthStatus.Degraded"/> by default, with <see cref="PandaProbeHostingExtensions.AddPandaProbe(Microsoft.Extensions.DependencyInjection.IHealthChecksBuilder, string, HealthStatus?, IEnumerable{string})"/>).
/// The data holds the totals since the client started: <c>exported</c>, <c>pending</c>, <c>failed</c>,
/// <c>spooled</c>, <c>dropped</c> with <c>dropped.&lt;reason&gt;</c> per reason, <c>delivery_failures.&lt;reason&gt;</c>
/// per reason, and what changed since the previous check: <c>dropped_since_last_check</c>,
/// <c>failed_since_last_check</c>; and per exporter (<see cref="PipelineHealth.Exporters"/>):
/// <c>exporter.&lt;name&gt;.state</c>, <c>.exported</c>, <c>.failed</c>, <c>.spooled</c>, <c>.dropped</c>,
/// <c>.pending</c>, <c>.problem</c>, <c>.last_success</c>, <c>.last_error</c>. An exporter that is not healthy (hung,
/// failing, or the platform unreachable) also gives the failure status, naming it. Registered as a singleton, so "since
/// the previous check" spans every caller.
/// </summary>
internal sealed class PandaProbeHealthCheck : IHealthCheck
{
    readonly PandaProbeClient client;
    readonly object gate = new();
    long lastDropped;
    long lastFailed;

    /// <summary>Creates the check of <paramref name="client"/>.</summary>
    /// <param name="client">The client whose counters are reported.</param>
    /// <exception cref="ArgumentNullException"><paramref name="client"/> is <c>null</c>.</exception>
    public PandaProbeHealthCheck(PandaProbeClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
    }

    /// <summary>Reads the client's counters and compares them with those of the previous check.</summary>
    /// <param name="context">The check's context; its registration's failure status is reported on drops and delivery failures.</param>
    /// <param name="cancellationToken">Unused: reading the counters does not wait.</param>
    /// <returns>The result, with the counters as data.</returns>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!client.IsEnabled) return Task.FromResult(HealthCheckResult.Healthy("PandaProbe tracing is off."));

        var health = client.Health;
        var dropped = health.DroppedByReason.Values.Sum();
        long newDrops, newFailures;
        lock (gate)
        {
            newDrops = dropped - lastDropped;
            newFailures = health.Failed - lastFailed;
            lastDropped = dropped;
            lastFailed = health.Failed;
        }
        var data = Data(health, dropped, newDrops, newFailures);
        var ailing = health.Exporters.Where(e => e.State != ExporterHealth.Condition.Healthy).ToList();
        var exporters = ailing.Count == 0 ? "" : " Exporters not healthy: " + string.Join("; ", ailing.Select(e => $"{e.Name} ({e.State.ToString().ToLowerInvariant()}: {e.Problem})")) + ".";
        if (newDrops <= 0 && newFailures <= 0 && ailing.Count > 0)
            // An unhealthy exporter (hung, failing) gives the registration's failure status; a degraded one (an outage,
            // a backlog at the platform's pace) no worse than Degraded.
            return Task.FromResult(new HealthCheckResult(
                ailing.Any(e => e.State == ExporterHealth.Condition.Unhealthy) ? context.Registration.FailureStatus
                    : (HealthStatus)Math.Max((int)HealthStatus.Degraded, (int)context.Registration.FailureStatus),
                $"PandaProbe: nothing dropped since the previous check ({health.Exported} exported, {health.Pending} pending).{exporters}", data: data));
        if (newDrops <= 0 && newFailures <= 0)
            return Task.FromResult(HealthCheckResult.Healthy(
                $"PandaProbe: nothing dropped since the previous check ({health.Exported} exported, {health.Pending} pending).", data));

        var reasons = string.Join(", ", health.DroppedByReason.Where(r => r.Value > 0)
            .Select(r => $"{r.Key.Name()} {r.Value.ToString(CultureInfo.InvariantCulture)}"));
        var delivery = health.DeliveryFailures.Count == 0
            ? ""
            : "; delivery failures: " + string.Join(", ", health.DeliveryFailures.Select(f => $"{f.Key.Name()} {f.Value}"));
        return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus,
            $"PandaProbe dropped {newDrops} item(s) and failed to deliver {newFailures} since the previous check " +
            $"(in total dropped: {reasons}{delivery}).{exporters}", data: data));
    }

    static Dictionary<string, object> Data(PipelineHealth health, long dropped, long newDrops, long newFailures)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["exported"] = health.Exported,
            ["pending"] = health.Pending,
            ["failed"] = health.Failed,
            ["spooled"] = health.Spooled,
            ["dropped"] = dropped,
            ["dropped_since_last_check"] = Math.Max(0, newDrops),
            ["failed_since_last_check"] = Math.Max(0, newFailures),
        };
        foreach (var (reason, count) in health.DroppedByReason.Where(r => r.Value > 0)) data["dropped." + reason.Name()] = count;
        foreach (var (reason, count) in health.DeliveryFailures) data["delivery_failures." + reason.Name()] = count;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < health.Exporters.Count; i++)
        {
            var e = health.Exporters[i];
            // A second exporter of one name is told apart by its position.
            var key = "exporter." + (seen.Add(e.Name) ? e.Name : $"{e.Name}#{i}");
            data[key + ".state"] = e.State.ToString().ToLowerInvariant();
            data[key + ".exported"] = e.Total.Exported;
            data[key + ".failed"] = e.Total.Failed;
            data[key + ".spooled"] = e.Total.Spooled;
            data[key + ".dropped"] = e.Total.Dropped;
            data[key + ".pending"] = e.Pending;
            if (e.Problem is not null) data[key + ".problem"] = e.Problem;
            if (e.LastSuccess is { } ok) data[key + ".last_success"] = ok;
            if (e.LastError is not null) data[key + ".last_error"] = e.LastError;
        }
        return data;
    }
}
