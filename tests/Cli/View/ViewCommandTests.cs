using System.Text.RegularExpressions;
using Xunit;

namespace PandaProbe.Cli.Tests.View;

public class ViewCommandTests
{
    static async Task<(int Code, string Out, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(args, new CliIO(output, error, Plain: true));
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Writes_one_self_contained_report_with_the_traces_embedded()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-");
        try
        {
            var file = await SampleTraces.WriteAsync(dir.FullName);
            var report = Path.Combine(dir.FullName, "out", "report.html");
            Directory.CreateDirectory(Path.GetDirectoryName(report)!);
            var (code, output, error) = await Run("view", file, "-o", report);

            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.Contains(report, output);
            Assert.Contains("3 traces", output);
            var html = await File.ReadAllTextAsync(report);
            Assert.DoesNotMatch(new Regex("""(src|href)\s*=\s*["']?\s*(https?:)?//""", RegexOptions.IgnoreCase), html);
            Assert.DoesNotContain("<link", html);
            Assert.DoesNotContain("/*PANDAPROBE_DATA*/", html);
            Assert.Contains("support-chat", html);
            Assert.Contains(SampleTraces.Model, html);
            Assert.Contains("""<script type="application/json" id="pandaprobe-data">""", html);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task The_default_report_is_written_next_to_the_first_file()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-");
        try
        {
            var file = await SampleTraces.WriteAsync(dir.FullName);
            var (code, output, _) = await Run("view", file);
            Assert.Equal(0, code);
            var expected = Path.Combine(dir.FullName, "pandaprobe-report.html");
            Assert.True(File.Exists(expected));
            Assert.Contains(expected, output);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task Text_that_would_close_the_script_element_is_escaped()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-");
        try
        {
            var file = Path.Combine(dir.FullName, "t.jsonl");
            await File.WriteAllTextAsync(file,
                """{"trace_id":"5f0c6b7e-1b2a-4c3d-8e9f-0a1b2c3d4e5f","name":"x</script><script>alert(1)</script>","started_at":"2026-01-01T00:00:00Z","input":"<!-- </SCRIPT"}""" + "\n");
            var report = Path.Combine(dir.FullName, "r.html");
            Assert.Equal(0, (await Run("view", file, "-o", report)).Code);
            var html = await File.ReadAllTextAsync(report);
            var start = html.IndexOf("id=\"pandaprobe-data\">", StringComparison.Ordinal);
            var end = html.IndexOf("</script>", start, StringComparison.OrdinalIgnoreCase);
            var data = html[start..end];
            Assert.DoesNotContain("<", data[(data.IndexOf('>') + 1)..]);
            Assert.Contains("\\u003c/script>", data);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public async Task A_missing_file_exits_2_naming_it()
    {
        var (code, _, error) = await Run("view", "no-such-traces.jsonl", "-o", Path.Combine(Path.GetTempPath(), "never.html"));
        Assert.Equal(2, code);
        Assert.Contains("no-such-traces.jsonl", error);
    }

    [Fact]
    public async Task No_file_or_an_unknown_option_is_a_usage_error_exiting_2()
    {
        Assert.Equal(2, (await Run("view")).Code);
        var (code, _, error) = await Run("view", "x.jsonl", "--frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("--frobnicate", error);
    }

    [Fact]
    public async Task Bad_lines_are_reported_by_number_and_the_report_is_still_written_with_exit_1()
    {
        var dir = Directory.CreateTempSubdirectory("pp-view-");
        try
        {
            var file = await SampleTraces.WriteAsync(dir.FullName);
            var good = await File.ReadAllLinesAsync(file);
            await File.WriteAllTextAsync(file, string.Join('\n', good.Take(1).Append("this is not json").Concat(good.Skip(1))) + "\n" + """{"trace_id":"5f0c""");
            var report = Path.Combine(dir.FullName, "report.html");
            var (code, output, error) = await Run("view", file, "-o", report);

            Assert.Equal(1, code);
            Assert.True(File.Exists(report));
            Assert.Contains($"{file}:2:", error);
            Assert.Contains($"{file}:{good.Length + 2}:", error);
            Assert.Contains("may still be being written", error);
            Assert.Contains("3 traces", output);
            Assert.Contains("2 bad lines", output);
            Assert.Contains("billing-question", await File.ReadAllTextAsync(report));
        }
        finally { dir.Delete(recursive: true); }
    }
}
