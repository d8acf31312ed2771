using PandaProbe.Cli.Tests.Support;
using Xunit;

namespace PandaProbe.Cli.Tests.Commands;

public class UsageTests
{
    [Theory]
    [InlineData("tree")]                          // FILE missing
    [InlineData("summary", "a.jsonl", "--by")]    // an option without its value
    [InlineData("validate", "a.jsonl", "extra")]  // one argument too many
    [InlineData("no-such-command")]
    public async Task Every_usage_error_exits_2_with_the_parser_message_and_the_way_to_the_help(params string[] args)
    {
        var r = await CliRun.RunAsync(args);
        Assert.Equal(2, r.Exit);
        Assert.Contains("pandaprobe --help", r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task Help_lists_every_command_and_exits_0()
    {
        var r = await CliRun.RunAsync("--help");
        Assert.Equal(0, r.Exit);
        foreach (var command in new[] { "view", "tree", "summary", "tail", "validate", "push" }) Assert.Contains(command, r.Out);
    }
}
