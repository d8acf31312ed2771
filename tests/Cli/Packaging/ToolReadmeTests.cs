using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PandaProbe.Cli.Tests.Support;
using Xunit;

namespace PandaProbe.Cli.Tests.Packaging;

/// <summary>
/// The tool's package carries its README (what nuget.org shows), and the README documents every command and option the
/// tool really has.
/// </summary>
public class ToolReadmeTests
{
    static string ToolDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PandaProbe.sln"))) return Path.Combine(dir.FullName, "tools", "PandaProbe.Cli");
        throw new InvalidOperationException($"PandaProbe.sln not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void The_project_declares_its_readme_and_the_readme_is_beside_it()
    {
        var project = XDocument.Load(Path.Combine(ToolDirectory(), "PandaProbe.Cli.csproj"));
        Assert.Equal("README.md", project.Descendants("PackageReadmeFile").Single().Value);
        Assert.True(File.Exists(Path.Combine(ToolDirectory(), "README.md")));
    }

    [Fact]
    public async Task The_build_packs_the_readme_at_the_package_root()
    {
        // An evaluation only (no build): the items Directory.Build.targets marks for packing.
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = ToolDirectory(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "msbuild", "PandaProbe.Cli.csproj", "-getItem:None", "-getProperty:PackageReadmeFile", "-nologo" })
            start.ArgumentList.Add(argument);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error + await output);

        using var evaluation = JsonDocument.Parse(await output);
        Assert.Equal("README.md", evaluation.RootElement.GetProperty("Properties").GetProperty("PackageReadmeFile").GetString());
        var packed = evaluation.RootElement.GetProperty("Items").GetProperty("None").EnumerateArray()
            .Where(i => i.TryGetProperty("Pack", out var pack) && pack.GetString() == "true")
            .Select(i => (Path.GetFileName(i.GetProperty("Identity").GetString()), i.GetProperty("PackagePath").GetString()))
            .ToList();
        Assert.Contains(("README.md", "/"), packed);
    }

    [Fact]
    public async Task The_readme_documents_every_command_and_option_of_the_tool()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(ToolDirectory(), "README.md"));
        var help = await CliRun.RunAsync("--help");
        var commands = Regex.Matches(help.Out[help.Out.IndexOf("Commands:", StringComparison.Ordinal)..], @"^\s+([a-z]+) <FILE>", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(new[] { "view", "tree", "summary", "tail", "validate", "push" }, commands);
        foreach (var command in commands)
        {
            Assert.Contains($"`pandaprobe {command} ", readme);
            var usage = await CliRun.RunAsync(command, "--help");
            foreach (Match option in Regex.Matches(usage.Out, @"(?<![\w-])(--[a-z][a-z-]+)"))
                if (option.Value is not "--help")
                    Assert.True(readme.Contains(option.Value, StringComparison.Ordinal), $"README.md does not mention {command} {option.Value}");
        }
        Assert.Contains("dotnet tool install --global PandaProbe.Cli", readme);
    }
}
