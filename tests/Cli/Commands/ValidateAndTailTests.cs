using PandaProbe.Cli.Commands;
using PandaProbe.Cli.Tests.Support;
using Xunit;

namespace PandaProbe.Cli.Tests.Commands;

public class ValidateCommandTests
{
    const string Id = "5f0c6b7e-1b2a-4c3d-8e9f-0a1b2c3d4e5f";

    [Fact]
    public async Task A_file_written_by_the_SDK_is_valid()
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var r = await CliRun.RunAsync("validate", file);
        Assert.Equal("", r.Error);
        Assert.Equal(0, r.Exit);
        Assert.Contains("valid (5 record(s))", r.Out);
    }

    [Fact]
    public async Task Each_failing_line_is_reported_as_file_line_problem_and_the_rest_is_checked()
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var good = File.ReadAllLines(file).Length;
        var longName = new string('n', 513);
        var longSession = new string('s', 256);
        string[] bad =
        [
            $$"""{"trace_id":"{{Id}}","name":"{{longName}}","session_id":"{{longSession}}","started_at":"2026-01-01T00:00:02Z","ended_at":"2026-01-01T00:00:01Z"}""",
            $$"""{"trace_id":"{{Guid.NewGuid()}}","name":"t","started_at":"2026-01-01T00:00:00Z","spans":[{"span_id":"{{Guid.NewGuid()}}","parent_span_id":"{{Guid.NewGuid()}}","name":"orphan","kind":"TOOL","started_at":"2026-01-01T00:00:00Z"}]}""",
            $$"""{"trace_id":"{{Guid.NewGuid()}}","name":"t","started_at":"2026-01-01T00:00:00Z","spans":[{"span_id":"{{Guid.NewGuid()}}","name":"s","kind":"WIZARD","started_at":"2026-01-01T00:00:00Z"}]}""",
            $$"""{"record":"score","trace_id":"{{Id}}","name":"quality","value":"7","data_type":"NUMERIC"}""",
            "not json",
        ];
        await File.AppendAllLinesAsync(file, bad);
        var r = await CliRun.RunAsync("validate", file);
        Assert.Equal(1, r.Exit);
        Assert.Contains($"{file}:{good + 1}: trace {Id}: the name is 513 characters, over the limit of 512", r.Error);
        Assert.Contains($"{file}:{good + 1}: trace {Id}: session_id is 256 characters, over the limit of 255", r.Error);
        Assert.Contains($"{file}:{good + 1}: trace {Id}: ended_at", r.Error);
        Assert.Matches($@"{file}:{good + 2}: span .* 'orphan': parent span .* is not in trace", r.Error);
        Assert.Contains($"{file}:{good + 3}: ", r.Error);   // unknown kind: not a record
        Assert.Contains($"{file}:{good + 4}: NUMERIC score value '7' is not a number in [0, 1]", r.Error);
        Assert.Contains($"{file}:{good + 5}: not valid JSON", r.Error);
        Assert.DoesNotContain($"{file}:{good}:", r.Error);
        Assert.Contains("5 failing line(s)", r.Out);
    }

    [Fact]
    public async Task Missing_file_and_truncated_last_line()
    {
        var missing = await CliRun.RunAsync("validate", "no-such.jsonl");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("no-such.jsonl", missing.Error);

        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var good = File.ReadAllLines(file).Length;
        await File.AppendAllTextAsync(file, "{\"trace_id\":");
        var r = await CliRun.RunAsync("validate", file);
        Assert.Equal(1, r.Exit);
        Assert.Contains($"{file}:{good + 1}: truncated last line", r.Error);
    }
}

public class TailCommandTests
{
    static async Task<string> WaitFor(SyncWriter writer, Func<string, bool> done)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!done(writer.ToString()) && DateTime.UtcNow < until) await Task.Delay(50);
        return writer.ToString();
    }

    static (Task<int> Run, SyncWriter Out, SyncWriter Error, CancellationTokenSource Stop) Start(params string[] args)
    {
        var output = new SyncWriter();
        var error = new SyncWriter();
        var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // bounded even if the test fails
        var run = Program.RunAsync(["tail", .. args], new CliIO(output, error, true), stop.Token);
        return (run, output, error, stop);
    }

    [Fact]
    public async Task Prints_traces_appended_after_the_start_waiting_for_partial_lines_until_cancelled()
    {
        using var files = new SdkFiles();
        var (source, _) = await files.WriteManyAsync(3);
        var lines = File.ReadAllLines(source);
        var file = files.PathOf("follow.jsonl");
        await File.WriteAllTextAsync(file, lines[0] + "\n");

        var (run, output, error, stop) = Start(file);
        await Task.Delay(400);
        Assert.Equal("", output.ToString());   // starts at the end

        await using (var writer = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            var half = lines[1].Length / 2;
            await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(lines[1][..half]));
            await writer.FlushAsync();
            await Task.Delay(500);
            Assert.Equal("", output.ToString());   // a partial line waits for its newline
            await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes(lines[1][half..] + "\n" + lines[2] + "\nbroken\n"));
        }
        var text = await WaitFor(output, t => t.Contains("run-2"));
        Assert.Contains("run-1", text);
        Assert.DoesNotContain("run-0", text);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  run-1  COMPLETED  \d+\.\ds  1 span\(s\)  10\+5 tokens  \$", text);
        Assert.Contains("not valid JSON", await WaitFor(error, t => t.Contains("JSON")));

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task From_start_prints_existing_traces_and_a_truncated_file_is_read_again()
    {
        using var files = new SdkFiles();
        var (source, _) = await files.WriteManyAsync(3);
        var lines = File.ReadAllLines(source);
        var file = files.PathOf("follow.jsonl");
        await File.WriteAllLinesAsync(file, lines[..2]);

        var (run, output, _, stop) = Start(file, "--from-start");
        var text = await WaitFor(output, t => t.Contains("run-1"));
        Assert.Contains("run-0", text);

        await File.WriteAllTextAsync(file, lines[2] + "\n");   // truncated and rewritten (rotation)
        text = await WaitFor(output, t => t.Contains("run-2"));
        Assert.Contains("run-2", text);

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, (await CliRun.RunAsync("tail", files.PathOf("none.jsonl"))).Exit);
    }
}
