using System.Collections;
using System.CommandLine;
using System.Text;
using PandaProbe.Cli.Files;
using PandaProbe.Exporters;
using PandaProbe.Http;
using PandaProbe.Model;
using PandaProbe.Model.Settings;
using PandaProbe.Settings;
using Spectre.Console;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe push FILE</c>: sends the file's traces, late spans and scores to the platform with the SDK's HTTP
/// exporter (its retry rules), configured from the <c>PANDAPROBE_*</c> variables like the SDK. Each record is sent once:
/// after the platform accepted it, its key (the trace id; <c>&lt;trace id&gt; spans|score &lt;line&gt;</c> for the
/// others) is appended to <c>FILE.pushed</c> and flushed, and keys found there are skipped, so an interrupted or
/// repeated push sends only what is missing. The exporter's spool is off: nothing is left behind.
/// </summary>
internal static class PushCommand
{
    /// <summary>The progress record's suffix.</summary>
    public const string ProgressSuffix = ".pushed";

    /// <summary>The command, reading the process environment.</summary>
    public static Command Create(CliIO io) => Create(io, null);

    /// <summary>The command, reading <paramref name="environment"/> instead of the process environment when given.</summary>
    /// <param name="io">Where it writes.</param>
    /// <param name="environment">The variables (tests); null for the process environment.</param>
    /// <param name="overrides">Settings given in code, over the environment (tests: short backoffs).</param>
    internal static Command Create(CliIO io, IDictionary? environment, SettingsOverrides? overrides = null)
    {
        var file = CommandSupport.FileArgument();
        var command = new Command("push",
            "Send a trace file to the platform (PANDAPROBE_API_KEY, PANDAPROBE_PROJECT_NAME, PANDAPROBE_ENDPOINT); " +
            $"resumable: what was sent is recorded in FILE{ProgressSuffix} and not sent again.") { file };
        command.SetAction((r, ct) => RunAsync(io, r.GetValue(file)!, environment, overrides, ct));
        return command;
    }

    static async Task<int> RunAsync(CliIO io, string path, IDictionary? environment, SettingsOverrides? overrides, CancellationToken ct)
    {
        if (!CommandSupport.CheckExists(io, "push", path)) return CommandSupport.Unusable;
        SdkSettings settings;
        try
        {
            // The tool sends now or reports a failure: no spool (nothing left on disk), tracing switches do not apply.
            settings = EnvironmentSettings.Resolve((overrides ?? new SettingsOverrides()) with { Spool = false, Enabled = true }, environment);
        }
        catch (ArgumentException ex)
        {
            io.Error.WriteLine($"pandaprobe push: {ex.Message}");
            return CommandSupport.Unusable;
        }
        var missing = new[] { (settings.ApiKey.IsNone, SettingNames.ApiKey), (settings.ProjectName.IsNone, SettingNames.ProjectName) }
            .Where(m => m.Item1).Select(m => m.Item2).ToList();
        if (missing.Count > 0)
        {
            io.Error.WriteLine($"pandaprobe push: set {string.Join(" and ", missing)} to push to the platform ({settings.Endpoint}).");
            return CommandSupport.Unusable;
        }

        var progressPath = path + ProgressSuffix;
        HashSet<string> done;
        FileStream progress;
        try
        {
            done = ReadProgress(progressPath);
            progress = new FileStream(progressPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (IOException ex)
        {
            io.Error.WriteLine($"pandaprobe push: cannot use the progress record {progressPath} (is another push of this file running?): {ex.Message}");
            return CommandSupport.Unusable;
        }

        using var exporter = new HttpTraceExporter(settings, new HttpExporterOptions
        {
            Log = line => { if (settings.Debug) io.Error.WriteLine("pandaprobe: " + line); },
        });
        await using (progress)
        {
            EndWithNewline(progress);
            // Cancelling stops new requests at once; those in flight get the shutdown deadline to finish, so a trace the
            // platform is taking is recorded as sent rather than abandoned mid-answer (and sent twice by the next push).
            using var drain = new CancellationTokenSource();
            await using var link = ct.Register(() => { try { drain.CancelAfter(settings.ShutdownDeadline); } catch (ObjectDisposedException) { } });
            var run = new Run(io, path, exporter, progress, done, settings.MaxConcurrentRequests, ct, drain.Token);
            if (io.Plain) await run.ExecuteAsync(null).ConfigureAwait(false);
            else
            {
                var total = CountLines(path);
                await CommandSupport.Console(io).Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask($"push {Markup.Escape(Path.GetFileName(path))}", maxValue: Math.Max(1, total));
                        await run.ExecuteAsync(line => task.Value = Math.Min(task.MaxValue, line)).ConfigureAwait(false);
                        task.Value = task.MaxValue;
                    }).ConfigureAwait(false);
            }
            return run.Finish(ct.IsCancellationRequested);
        }
    }

    /// <summary>One push: what was sent, skipped and failed.</summary>
    sealed class Run(CliIO io, string path, HttpTraceExporter exporter, FileStream progress, HashSet<string> done, int concurrency, CancellationToken ct, CancellationToken drain)
    {
        readonly SemaphoreSlim slots = new(Math.Max(1, concurrency));
        readonly Lock gate = new();
        readonly Dictionary<TraceId, Task<bool>> traces = new();   // this run's outcome per trace
        readonly List<Task> inFlight = [];
        readonly List<string> failures = [];
        int sent, skipped, failed, badLines;

        public async Task ExecuteAsync(Action<long>? advance)
        {
            foreach (var item in TraceFileReader.Read(path))
            {
                if (ct.IsCancellationRequested) break;
                switch (item)
                {
                    case TraceItem { Trace: var trace }:
                        var sending = Send(trace.Id.ToString(), item.Line, $"trace {trace.Id} '{trace.Name}'", ExportBatch.Of(trace), null);
                        traces[trace.Id] = sending;
                        Track(sending);
                        break;
                    case LateSpansItem late:
                        Track(Send($"{late.Trace} spans {item.Line}", item.Line, $"{late.Spans.Count} late span(s) of trace {late.Trace}",
                            new ExportBatch([], late.Spans, []), late.Trace));
                        break;
                    case ScoreItem { Score: var score }:
                        Track(Send($"{score.Trace} score {item.Line}", item.Line, $"score '{score.Name}' of trace {score.Trace}",
                            new ExportBatch([], [], [score]), score.Trace));
                        break;
                    case BadLine bad:
                        lock (gate) badLines++;
                        CommandSupport.Report(io, path, bad);
                        break;
                }
                advance?.Invoke(item.Line);
                if (inFlight.Count >= 256) { await Task.WhenAll(inFlight).ConfigureAwait(false); inFlight.Clear(); }
            }
            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }

        void Track(Task task) => inFlight.Add(task);

        async Task<bool> Send(string key, long line, string what, ExportBatch batch, TraceId? after)
        {
            lock (gate)
            {
                if (done.Contains(key))
                {
                    skipped++;
                    return true;
                }
            }
            // Late spans and scores go after their trace; not at all when this run failed to send it.
            if (after is { } trace && traces.TryGetValue(trace, out var first) && !await first.ConfigureAwait(false))
            {
                Fail(line, what, "its trace was not delivered");
                return false;
            }
            try { await slots.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                Fail(line, what, "cancelled");
                return false;
            }
            try
            {
                if (ct.IsCancellationRequested)
                {
                    Fail(line, what, "cancelled");
                    return false;
                }
                var result = await exporter.ExportAsync(batch, drain).ConfigureAwait(false);
                if (result.Failed == 0 && result.Deferred == 0 && result.Exported >= batch.Count)
                {
                    lock (gate)
                    {
                        var bytes = Encoding.UTF8.GetBytes(key + "\n");
                        progress.Write(bytes);
                        progress.Flush();
                        done.Add(key);
                        sent++;
                        if (io.Plain) io.Out.WriteLine($"sent {what}");
                    }
                    return true;
                }
                Fail(line, what, drain.IsCancellationRequested ? "cancelled" : result.Error ?? "not delivered");
                return false;
            }
            finally { slots.Release(); }
        }

        void Fail(long line, string what, string reason)
        {
            lock (gate)
            {
                failed++;
                failures.Add($"{path}:{line}: {what}: {reason}");
            }
        }

        public int Finish(bool cancelled)
        {
            foreach (var failure in failures) io.Error.WriteLine(failure);
            io.Out.WriteLine($"{path}: sent {sent}, skipped {skipped} (already sent), failed {failed}" +
                             (badLines > 0 ? $", {badLines} bad line(s)" : "") + (cancelled ? "; interrupted" : ""));
            return failed == 0 && badLines == 0 && !cancelled ? CommandSupport.Ok : CommandSupport.Problems;
        }
    }

    static HashSet<string> ReadProgress(string progressPath)
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(progressPath)) return keys;
        using var stream = new FileStream(progressPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        var lines = text.Split('\n');
        // A key without its newline was being written when the push stopped: not counted as sent.
        foreach (var line in text.EndsWith('\n') ? lines : lines[..^1])
            if (line.Trim() is { Length: > 0 } key) keys.Add(key);
        return keys;
    }

    static void EndWithNewline(FileStream progress)
    {
        progress.Seek(0, SeekOrigin.End);
        if (progress.Length == 0) return;
        progress.Seek(-1, SeekOrigin.End);
        var last = progress.ReadByte();
        progress.Seek(0, SeekOrigin.End);
        if (last != '\n') { progress.WriteByte((byte)'\n'); progress.Flush(); }
    }

    static long CountLines(string path)
    {
        long count = 0;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) count += buffer.AsSpan(0, read).Count((byte)'\n');
        return count + 1;
    }
}
