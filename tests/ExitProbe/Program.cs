// A process that records traces and exits WITHOUT flushing or shutting down: the SDK's process-exit hook must
// deliver them. Used by tests/Integration/ProcessExitTests.cs. Arguments: <jsonl path> <trace count>.
using PandaProbe;

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
    using var span = trace.Span("work", SpanKind.Tool);
    span.SetOutput(i);
}
Console.WriteLine("recorded");
