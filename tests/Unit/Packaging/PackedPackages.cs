using System.Text.Json;
using System.Text.RegularExpressions;
using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Packaging;

/// <summary>The packaging tests run alone: packing and restoring take both cores of a small machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packaging";
}

/// <summary>
/// The src projects packed once per test run, as a release would pack them (<c>dotnet pack -c Release</c>), into a
/// folder outside the repository that serves as a local package source.
/// <para>
/// The packages get a version of their own (<c>0.1.0-test.&lt;time&gt;.&lt;process&gt;</c>), so a package of the same
/// id and version left in a NuGet cache by an earlier run or by a developer can never be installed in place of the
/// one just built. The build writes nothing into the repository: its bin and obj folders live under a temporary
/// artifacts path.
/// </para>
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    /// <summary>The packages the repository publishes, one per project under src/.</summary>
    public static readonly string[] Ids =
        ["PandaProbe.Model", "PandaProbe.Effects", "PandaProbe", "PandaProbe.Extensions.AI", "PandaProbe.Extensions.Hosting",
         "PandaProbe.Agents.AI"];

    /// <summary>How long packing may take (a cold Release build of six projects on two busy cores).</summary>
    static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    DirectoryInfo? work;

    /// <summary>The repository root (the folder holding PandaProbe.sln).</summary>
    public string RepositoryRoot { get; private set; } = "";

    /// <summary>A temporary folder of this test run, outside the repository; deleted at the end.</summary>
    public string WorkDirectory => work?.FullName ?? throw new InvalidOperationException("not initialized");

    /// <summary>The local package source: the .nupkg and .snupkg files.</summary>
    public string Feed => Path.Combine(WorkDirectory, "feed");

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The pack command and its output.</summary>
    public CliResult Pack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RepositoryRoot = SharedData.RepositoryRoot
            ?? throw new InvalidOperationException($"PandaProbe.sln not found above {AppContext.BaseDirectory}");
        work = Directory.CreateTempSubdirectory("pandaprobe-packaging-");
        var suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        // Only the src projects: a solution filter over the repository's solution.
        var solution = Path.Combine(RepositoryRoot, "PandaProbe.sln");
        var projects = Regex.Matches(File.ReadAllText(solution), @"^Project\(""[^""]*""\) = ""[^""]*"", ""(src[\\/][^""]+\.csproj)""",
                RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToArray();
        if (projects.Length != Ids.Length)
            throw new InvalidOperationException($"expected {Ids.Length} src projects in PandaProbe.sln, found: {string.Join(", ", projects)}");
        var filter = Path.Combine(WorkDirectory, "Packages.slnf");
        File.WriteAllText(filter, JsonSerializer.Serialize(new { solution = new { path = solution, projects } }));

        Pack = await DotnetCli.RunAsync(WorkDirectory, PackTimeout, null,
            "pack", filter, "-c", "Release", "-o", Feed, "--version-suffix", suffix,
            "--artifacts-path", Path.Combine(WorkDirectory, "artifacts"),
            "--disable-build-servers", "-nodeReuse:false", "-tl:off", "-clp:Summary");
        if (Pack.TimedOut || Pack.ExitCode != 0) throw new InvalidOperationException("packing failed: " + Pack.Describe());

        // <id>.<version>.nupkg, where a version starts with a digit (PandaProbe.Model.0.1.0… is not PandaProbe's).
        var names = Directory.GetFiles(Feed, "*.nupkg").Select(f => Path.GetFileNameWithoutExtension(f)).ToArray();
        var versions = Ids.Select(id => names
                .Where(n => n.StartsWith(id + ".", StringComparison.Ordinal) && char.IsDigit(n[id.Length + 1]))
                .Select(n => n[(id.Length + 1)..])
                .SingleOrDefault())
            .ToArray();
        if (versions.Any(v => v is null || !v.EndsWith("-" + suffix, StringComparison.Ordinal)) || versions.Distinct().Count() != 1)
            throw new InvalidOperationException($"expected one package of each of {string.Join(", ", Ids)} with the suffix {suffix}, found: "
                + string.Join(", ", Directory.GetFiles(Feed).Select(Path.GetFileName)) + "\n" + Pack.Describe());
        Version = versions[0]!;
    }

    /// <summary>The path of a package of <see cref="Version"/> in the feed (<paramref name="extension"/>: nupkg or snupkg).</summary>
    public string PackagePath(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    public Task DisposeAsync()
    {
        try { work?.Delete(recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }
}
