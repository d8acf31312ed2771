using PandaProbe.Cli.Tests.Support;
using Xunit;

namespace PandaProbe.Cli.Tests.Commands;

public class TreeCommandTests
{
    [Fact]
    public async Task Prints_every_top_level_trace_with_the_sub_agent_nested_under_its_parent()
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var r = await CliRun.RunAsync("tree", file);
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Error);
        var lines = r.Out.Split('\n');
        Assert.StartsWith("— ", lines.Single(l => l.Contains("coordinator")));
        Assert.DoesNotContain(lines, l => l.StartsWith("— ") && l.Contains("researcher"));   // nested, not a root
        Assert.Contains(lines, l => l.Contains("└─") || l.Contains("├─") && l.Contains("researcher"));
        Assert.Contains("Total (with children): $0.0094", r.Out);
        Assert.Contains(lines, l => l.StartsWith("— ") && l.Contains("second"));
        Assert.Contains("late-tool", r.Out);
    }

    [Fact]
    public async Task Trace_option_takes_an_id_prefix()
    {
        using var files = new SdkFiles();
        var (file, _, researcher, _) = await files.WriteAgentsAsync();
        var r = await CliRun.RunAsync("tree", file, "--trace", researcher.ToString()[..8]);
        Assert.Equal(0, r.Exit);
        Assert.StartsWith("— ", r.Out);
        Assert.Contains("researcher", r.Out.Split('\n')[0]);
        Assert.DoesNotContain("coordinator", r.Out);

        var none = await CliRun.RunAsync("tree", file, "--trace", "zzzz");
        Assert.Equal(1, none.Exit);
        Assert.Contains("no trace", none.Error);
    }

    [Fact]
    public async Task A_missing_file_is_exit_2_naming_it_and_bad_lines_are_reported_with_numbers()
    {
        var missing = await CliRun.RunAsync("tree", "/nonexistent/nope.jsonl");
        Assert.Equal(2, missing.Exit);
        Assert.Contains("/nonexistent/nope.jsonl", missing.Error);

        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        await File.AppendAllTextAsync(file, "garbage\n{\"trace_id\":\"5f0c");
        var r = await CliRun.RunAsync("tree", file);
        Assert.Equal(1, r.Exit);
        var count = File.ReadAllLines(file).Length;
        Assert.Contains($"{file}:{count - 1}: not valid JSON", r.Error);
        Assert.Contains($"{file}:{count}: truncated last line", r.Error);
        Assert.Contains("coordinator", r.Out);
    }
}

public class SummaryCommandTests
{
    [Fact]
    public async Task Totals_and_a_table_by_model_by_default()
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var r = await CliRun.RunAsync("summary", file);
        Assert.Equal(0, r.Exit);
        Assert.Equal("", r.Error);
        Assert.True(r.Out.Contains("3 traces, 4 spans, 1 errors, tokens 900 prompt / 450 completion, cost $0.0094"), r.Out);
        var rows = r.Out.Split('\n');
        Assert.StartsWith("model", rows.Single(l => l.StartsWith("model")));
        Assert.Matches(@"^claude-3-5-sonnet\s+1\s+1\s+0\s+800\s+400\s+\$0\.0084", rows.Single(l => l.StartsWith("claude")));
        Assert.Matches(@"^\(no model\)\s+1\s+2\s+1\s", rows.Single(l => l.StartsWith("(no model)")));   // late span: no trace counted
        Assert.Matches(@"^total\s+3\s+4\s+1\s+900\s+450\s+\$0\.0094", rows.Single(l => l.StartsWith("total")));
    }

    [Theory]
    [InlineData("kind", "LLM", @"^LLM\s+2\s+2\s+0\s+900\s+450")]
    [InlineData("name", "coordinator", @"^coordinator\s+1\s+2\s+0\s+100\s+50")]   // the late span joins its trace's group
    [InlineData("session", "s1", @"^s1\s+1\s+1\s+1\s+0\s+0")]
    public async Task Groups_by_the_chosen_key(string by, string key, string pattern)
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var r = await CliRun.RunAsync("summary", file, "--by", by);
        Assert.Equal(0, r.Exit);
        Assert.Matches(pattern, r.Out.Split('\n').Single(l => l.StartsWith(key + " ")));
    }

    [Fact]
    public async Task Spectre_table_when_not_plain_and_bad_input()
    {
        using var files = new SdkFiles();
        var (file, _, _, _) = await files.WriteAgentsAsync();
        var table = await CliRun.RunAsync(false, "summary", file);
        Assert.Equal(0, table.Exit);
        Assert.Contains("gpt-4o", table.Out);
        Assert.Contains("│", table.Out);

        Assert.Equal(2, (await CliRun.RunAsync("summary", "missing.jsonl")).Exit);
        await File.AppendAllTextAsync(file, "{\"record\":\"nope\"}\n");
        var bad = await CliRun.RunAsync("summary", file);
        Assert.Equal(1, bad.Exit);
        Assert.Contains($"{file}:{File.ReadAllLines(file).Length}: unknown record type 'nope'", bad.Error);
        Assert.Contains("3 traces", bad.Out);
        Assert.NotEqual(0, (await CliRun.RunAsync("summary", file, "--by", "colour")).Exit);
    }
}
