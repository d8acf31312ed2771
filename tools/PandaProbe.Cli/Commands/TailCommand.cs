using System.CommandLine;
using System.Globalization;
using System.Text;
using PandaProbe.Cli.Files;
using PandaProbe.Model;
using PandaProbe.Model.Summary;

namespace PandaProbe.Cli.Commands;

/// <summary>
/// <c>pandaprobe tail FILE [--from-start]</c>: follows a file the SDK is writing and prints one line per completed trace
/// as it appears, until cancelled. A partial last line waits for its newline; a truncated or replaced file is reopened
/// from its start.
/// </summary>
internal static class TailCommand
{
    /// <summary>How often the file is looked at.</summary>
    internal static TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The command.</summary>
    public static Command Create(CliIO io)
    {
        var file = CommandSupport.FileArgument("The trace file the SDK is writing.");
        var fromStart = new Option<bool>("--from-start") { Description = "Print the traces already in the file first." };
        var command = new Command("tail", "Follow a trace file and print each trace as it is written (Ctrl+C stops).") { file, fromStart };
        command.SetAction((r, ct) => RunAsync(io, r.GetValue(file)!, r.GetValue(fromStart), ct));
        return command;
    }

    /// <summary>One line for a trace: time, name, status, duration, spans, tokens, cost.</summary>
    internal static string Line(TraceRecord trace)
    {
        var s = TraceSummaries.Of(trace);
        var at = (trace.EndedAt ?? trace.StartedAt).ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return $"{at}  {trace.Name}  {trace.Status.ToString().ToUpperInvariant()}  {CommandSupport.Seconds(trace.Duration)}  " +
               $"{s.SpanCount} span(s)  {s.PromptTokens}+{s.CompletionTokens} tokens  {Money.Format(s.Cost)}" +
               (s.ErrorCount > 0 ? $"  {s.ErrorCount} error(s)" : "");
    }

    static async Task<int> RunAsync(CliIO io, string path, bool fromStart, CancellationToken ct)
    {
        if (!CommandSupport.CheckExists(io, "tail", path)) return CommandSupport.Unusable;
        var follower = new Follower(io, path);
        follower.Open(fromStart);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                follower.Poll();
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally { follower.Dispose(); }
        return CommandSupport.Ok;
    }

    /// <summary>The open file, the position read to, the bytes of an unfinished line and the line count.</summary>
    sealed class Follower(CliIO io, string path) : IDisposable
    {
        const int HeadBytes = 256;
        FileStream? stream;
        byte[] head = [];                 // the file's first bytes, to notice a replaced file
        readonly MemoryStream partial = new();
        long lines;                       // complete lines consumed, for line numbers
        readonly byte[] buffer = new byte[1 << 16];

        public void Open(bool fromStart)
        {
            Close();
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
                stream = null;   // gone for now (rotation): looked for again at the next poll
                return;
            }
            head = ReadHead(stream);
            if (fromStart) stream.Position = 0;
            else
            {
                // Start at the end, but after the last complete line: a line being written is printed once it ends.
                stream.Position = StartOfLastLine(stream);
                lines = 0;
            }
        }

        public void Poll()
        {
            if (stream is null) { if (File.Exists(path)) { Open(fromStart: true); ResetCounts(); } else return; }
            if (stream is null) return;
            if (Replaced())
            {
                io.Error.WriteLine($"{path}: the file was truncated or replaced; reading it from the start");
                Open(fromStart: true);
                ResetCounts();
                if (stream is null) return;
            }
            int read;
            var text = new StringBuilder();
            var complete = 0L;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n') continue;
                    partial.Write(buffer, start, i - start + 1);
                    text.Append(Encoding.UTF8.GetString(partial.GetBuffer(), 0, (int)partial.Length));
                    partial.SetLength(0);
                    complete++;
                    start = i + 1;
                }
                partial.Write(buffer, start, read - start);
            }
            if (complete == 0) return;
            var first = lines;
            lines += complete;
            foreach (var item in TraceFileReader.Read(new StringReader(text.ToString())))
            {
                switch (item)
                {
                    case TraceItem { Trace: var trace }:
                        io.Out.WriteLine(Line(trace));
                        break;
                    case BadLine bad:
                        CommandSupport.Report(io, path, bad with { Line = first + bad.Line });
                        break;
                }
            }
            io.Out.Flush();
        }

        void ResetCounts()
        {
            lines = 0;
            partial.SetLength(0);
        }

        /// <summary>The file at the path is shorter than what was read, or starts differently: truncated or rotated.</summary>
        bool Replaced()
        {
            if (stream is null) return false;
            try
            {
                if (!File.Exists(path)) return false;   // renamed away; keep reading the old file until a new one appears
                using var now = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                if (now.Length < stream.Position) return true;
                var nowHead = ReadHead(now);
                var common = Math.Min(head.Length, nowHead.Length);
                if (!head.AsSpan(0, common).SequenceEqual(nowHead.AsSpan(0, common))) return true;
                if (nowHead.Length > head.Length) head = nowHead;
                return false;
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }

        static byte[] ReadHead(FileStream file)
        {
            var keep = file.Position;
            file.Position = 0;
            var bytes = new byte[HeadBytes];
            var n = 0;
            int r;
            while (n < bytes.Length && (r = file.Read(bytes, n, bytes.Length - n)) > 0) n += r;
            file.Position = keep;
            return bytes[..n];
        }

        static long StartOfLastLine(FileStream file)
        {
            var end = file.Length;
            if (end == 0) return 0;
            var chunk = new byte[4096];
            var pos = end;
            while (pos > 0)
            {
                var size = (int)Math.Min(chunk.Length, pos);
                pos -= size;
                file.Position = pos;
                file.ReadExactly(chunk, 0, size);
                for (var i = size - 1; i >= 0; i--)
                    if (chunk[i] == (byte)'\n') return pos + i + 1;
            }
            return 0;
        }

        void Close()
        {
            stream?.Dispose();
            stream = null;
        }

        public void Dispose()
        {
            Close();
            partial.Dispose();
        }
    }
}
