using System.Reactive.Concurrency;
using PandaProbe.Exporters;
using PandaProbe.Pipeline;
using PandaProbe.Unit.Support;
using static PandaProbe.Model.TraceEvent;

namespace PandaProbe.Properties.Export;

/// <summary>
/// Deadlines are deadlines, on virtual time: for any mix of exporter behaviours (completes, throws, never completes,
/// ignores its cancellation, completes long after the deadline, or honours cancellation only), a flush and a shutdown
/// return once their deadline has passed on the pipeline's clock, whatever the exporters do; the flush says whether it
/// completed; and after the shutdown every trace is accounted for (delivered, or dropped with a reason), none pending.
/// </summary>
public class DeadlineProperties
{
    /// <summary>What an exporter does with each call.</summary>
    public enum Behaviour { Completes, Throws, NeverCompletes, IgnoresCancellation, CompletesLate, HonoursCancellationOnly }

    static readonly TimeSpan RealBound = TimeSpan.FromSeconds(20);   // a real-time bound on what virtual time decides

    sealed class ScriptedExporter(Behaviour behaviour, TimeProvider time) : ITraceExporter
    {
        public string Name => behaviour.ToString();

        public async ValueTask<ExportResult> ExportAsync(ExportBatch batch, CancellationToken cancellationToken) => await Act(batch.Count, cancellationToken);

        public async ValueTask ShutdownAsync(CancellationToken cancellationToken) => await Act(0, cancellationToken);

        async Task<ExportResult> Act(int count, CancellationToken cancellationToken)
        {
            switch (behaviour)
            {
                case Behaviour.Completes: return ExportResult.Success(count);
                case Behaviour.Throws: throw new InvalidOperationException("scripted failure");
                case Behaviour.NeverCompletes: await new TaskCompletionSource().Task; break;
                case Behaviour.IgnoresCancellation: await Task.Delay(Timeout.InfiniteTimeSpan, time, CancellationToken.None); break;
                case Behaviour.CompletesLate: await Task.Delay(TimeSpan.FromHours(1), time, CancellationToken.None); break;
                case Behaviour.HonoursCancellationOnly: await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken); break;
            }
            return ExportResult.Success(count);
        }
    }

    static bool Hangs(Behaviour b) => b is not (Behaviour.Completes or Behaviour.Throws);

    [TraceProperty(AtMost = 60)]
    public bool Flush_and_shutdown_return_by_their_deadline_whatever_the_exporters_do(byte[]? plan, byte traceCount, ushort flushMs, ushort shutdownMs)
    {
        var behaviours = (plan is { Length: > 0 } ? plan.Take(3) : [0]).Select(b => (Behaviour)(b % 6)).ToArray();
        var traces = traceCount % 25;
        // Deadlines up to 20 s: below the 30 s export timeout, so only the deadlines under test end anything.
        var flushDeadline = TimeSpan.FromMilliseconds(1 + flushMs % 20_000);
        var shutdownDeadline = TimeSpan.FromMilliseconds(1 + shutdownMs % 20_000);

        var time = new ManualTimeProvider();
        var scheduler = new HistoricalScheduler(time.GetUtcNow());
        var pipeline = new TracePipeline(behaviours.Select(b => (ITraceExporter)new ScriptedExporter(b, time)).ToArray(),
            PipelineOptions.Create(batchSize: 4, flushInterval: TimeSpan.FromSeconds(5)), time: time, scheduler: scheduler);
        for (var i = 0; i < traces; i++)
        {
            var id = TraceId.New();
            pipeline.Start(new TraceStarted(id, "t", scheduler.Now))!.Raise(new TraceEnded(id, scheduler.Now));
        }

        var expectCompleted = traces == 0 || !behaviours.Any(Hangs);
        var flush = pipeline.FlushAsync(flushDeadline);
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));   // the flush's wake-up runs
        // Scheduling noise: the flush's own continuations run on the pool (two threads on this machine), so they get
        // the chance to before the virtual deadline passes; a flush held by an exporter waits here in vain.
        if (expectCompleted) SpinWait.SpinUntil(() => flush.IsCompleted, RealBound);
        else Settle();
        time.Advance(flushDeadline);
        if (!flush.Wait(RealBound)) throw new Xunit.Sdk.XunitException("the flush did not return at its deadline");
        if (flush.Result.Completed != expectCompleted)
            throw new Xunit.Sdk.XunitException($"flush Completed {flush.Result.Completed}, expected {expectCompleted} ({string.Join(",", behaviours)}; {traces} traces)");
        if (!expectCompleted && flush.Result.Unfinished.Count == 0) throw new Xunit.Sdk.XunitException("no exporter named as unfinished");

        var shutdown = pipeline.ShutdownAsync(shutdownDeadline);
        scheduler.AdvanceBy(TimeSpan.FromTicks(1));
        Settle();
        time.Advance(shutdownDeadline);
        if (!shutdown.Wait(RealBound)) throw new Xunit.Sdk.XunitException("the shutdown did not return at its deadline");

        var health = shutdown.Result.Health;
        // Every trace accounted for once: delivered by every exporter, or counted as lost with a reason.
        if (health.Pending != 0 || health.Exported + health.Dropped != traces)
            throw new Xunit.Sdk.XunitException($"pending {health.Pending}, exported {health.Exported}, dropped {health.Dropped} of {traces} ({string.Join(",", behaviours)})");
        return true;
    }

    /// <summary>Lets continuations that the virtual clock released run on the pool before time moves again.</summary>
    static void Settle() => Thread.Sleep(5);
}
