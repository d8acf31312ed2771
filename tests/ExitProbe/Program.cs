using PandaProbe.Model;
// Child processes for the process-level tests in tests/Integration.
//   <jsonl path> <trace count>: records traces and exits WITHOUT flushing or shutting down; the SDK's process-exit hook
//     must deliver them (ProcessExitTests).
//   write-ahead <endpoint> <spool directory> <trace count>: records traces in write-ahead mode against a platform that
//     does not answer, prints "disposed <trace id>" as each Dispose returns, then waits to be killed (SIGKILL); the
//     next process must deliver every trace it printed (DurableDeliveryTests).
//   replay <endpoint> <spool directory> <seconds>: starts a client on a spool another process wrote, lets it replay for
//     at most <seconds> (until its flush finds nothing left), prints "replayed <n>" and shuts down (two of them at once
//     share the spool: RateAndRecoveryTests).
using PandaProbe;

if (args.Length == 4 && args[0] == "replay")
{
    var options = new PandaProbeOptions
    {
        EnvironmentVariables = new Dictionary<string, string?>(),
        ApiKey = "sk_pp_replay_0123456789",
        ProjectName = "two replayers",
        Endpoint = args[1],
        RegisterProcessExitHandler = false,
    };
    options.Spool.Directory = args[2];
    var client = new PandaProbeClient(options);
    var until = DateTime.UtcNow + TimeSpan.FromSeconds(int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    while (DateTime.UtcNow < until)
    {
        var flush = await client.FlushAsync(TimeSpan.FromSeconds(5));
        if (flush.StillSpooled == 0 && client.Health.Replayed > 0) break;
        await Task.Delay(100);
    }
    await client.ShutdownAsync(TimeSpan.FromSeconds(10));
    Console.WriteLine($"replayed {client.Health.Replayed}");
    return;
}

if (args.Length == 4 && args[0] == "write-ahead")
{
    var options = new PandaProbeOptions
    {
        EnvironmentVariables = new Dictionary<string, string?>(),
        ApiKey = "sk_pp_write_ahead_0123456789",
        ProjectName = "write ahead",
        Endpoint = args[1],
        RegisterProcessExitHandler = false,
        RequestTimeout = TimeSpan.FromMinutes(5),
    };
    options.Spool.Directory = args[2];
    options.Spool.WriteAhead = true;
    var client = new PandaProbeClient(options);
    for (var i = 0; i < int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture); i++)
    {
        Guid id;
        using (var trace = client.StartTrace($"batch-item-{i}", input: new { i }))
        {
            id = trace.TraceId;
            using var span = trace.Span("work", SpanType.Tool);
            span.SetOutput(i);
        }
        Console.WriteLine($"disposed {id}");
    }
    Console.WriteLine("waiting");
    Thread.Sleep(Timeout.Infinite);
    return;
}

var path = args[0];
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
Probe.Init(new PandaProbeOptions
{
    EnvironmentVariables = new Dictionary<string, string?>(),
    LocalFilePath = path,
    FlushInterval = TimeSpan.FromHours(1),   // nothing would be exported before exit but for the hook
    BatchSize = 1000,
});
for (var i = 0; i < count; i++)
{
    using var trace = Probe.StartTrace($"exit-trace-{i}");
    using var span = trace.Span("work", SpanType.Tool);
    span.SetOutput(i);
}
Console.WriteLine("recorded");
