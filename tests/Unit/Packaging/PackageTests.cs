using System.IO.Compression;
using System.Security;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace PandaProbe.Unit.Packaging;

/// <summary>
/// The packages as a .NET team would adopt them: packed from the src projects without a warning, each with its
/// README, licence, repository and exact versions of our other packages; installed from a local folder into a fresh
/// console app outside the repository (none of its build settings apply) that builds without a warning and runs the
/// README's first example, writing the example's trace to the local JSON Lines file.
/// </summary>
[Collection(PackagingCollection.Name)]
public class PackageTests(PackedPackages packed)
{
    static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(4);
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public void Packing_gives_a_package_and_a_symbol_package_of_each_project_without_a_warning()
    {
        AssertNoWarnings(packed.Pack);
        foreach (var id in PackedPackages.Ids)
        {
            Assert.True(File.Exists(packed.PackagePath(id)), $"{id}.{packed.Version}.nupkg is missing\n{packed.Pack.Describe()}");
            Assert.True(File.Exists(packed.PackagePath(id, "snupkg")), $"{id}.{packed.Version}.snupkg is missing\n{packed.Pack.Describe()}");
        }
    }

    [Fact]
    public void Each_package_has_its_readme_licence_repository_and_exact_versions_of_our_other_packages()
    {
        var pins = XDocument.Load(Path.Combine(packed.RepositoryRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion").ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var hasGit = Path.Exists(Path.Combine(packed.RepositoryRoot, ".git"));
        foreach (var id in PackedPackages.Ids)
        {
            var projectDirectory = Path.Combine(packed.RepositoryRoot, "src", id);
            using var package = ZipFile.OpenRead(packed.PackagePath(id));
            XNamespace ns;
            XElement metadata;
            using (var nuspec = package.GetEntry($"{id}.nuspec")!.Open())
            {
                var root = XDocument.Load(nuspec).Root!;
                ns = root.Name.Namespace;
                metadata = root.Element(ns + "metadata")!;
            }
            string? Value(string name) => metadata.Element(ns + name)?.Value;

            Assert.Equal(id, Value("id"));
            Assert.Equal(packed.Version, Value("version"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id}: no description");
            Assert.Equal("MIT", Value("license"));
            Assert.Equal("expression", (string?)metadata.Element(ns + "license")?.Attribute("type"));
            Assert.Equal("https://github.com/pandaprobe/pandaprobe-dotnet", Value("projectUrl"));
            var tags = (Value("tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Subset(tags.ToHashSet(), new HashSet<string> { "tracing", "llm", "agents", "observability", "opentelemetry", "ai" });

            var repository = metadata.Element(ns + "repository");
            Assert.NotNull(repository);
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.Equal("https://github.com/pandaprobe/pandaprobe-dotnet", (string?)repository.Attribute("url"));
            if (hasGit) Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");

            // The readme is the project's README.md, packed as it is.
            Assert.Equal("README.md", Value("readme"));
            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
                Assert.Equal(File.ReadAllText(Path.Combine(projectDirectory, "README.md")), readme.ReadToEnd());

            // Dependencies: our packages at exactly this version, third-party packages at their central pins or newer, or
            // at the lowest version the project asks for (VersionOverride: Microsoft.Extensions.AI 10.x users keep working).
            var project = XDocument.Load(Path.Combine(projectDirectory, id + ".csproj"));
            var expected = project.Descendants("ProjectReference")
                .Select(r => (Id: Path.GetFileNameWithoutExtension(((string)r.Attribute("Include")!).Replace('\\', '/')), Version: $"[{packed.Version}]"))
                .Concat(project.Descendants("PackageReference").Select(r => (Id: (string)r.Attribute("Include")!,
                    Version: (string?)r.Attribute("VersionOverride") ?? pins[(string)r.Attribute("Include")!])))
                .Select(d => $"{d.Id} {d.Version}").Order(StringComparer.Ordinal).ToArray();
            var groups = metadata.Element(ns + "dependencies")?.Elements(ns + "group").ToArray() ?? [];
            Assert.All(groups, g => Assert.Equal("net10.0", (string?)g.Attribute("targetFramework")));
            var actual = groups.SelectMany(g => g.Elements(ns + "dependency"))
                .Select(d => $"{(string?)d.Attribute("id")} {(string?)d.Attribute("version")}").Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task The_readme_first_example_runs_in_a_fresh_console_app_that_installs_the_packages()
    {
        var readme = File.ReadAllText(Path.Combine(packed.RepositoryRoot, "README.md"));
        var example = PackageReadmeTests.CSharpBlocks(readme).First();
        var traceName = Regex.Match(example, @"StartTrace\(""([^""]+)""").Groups[1].Value;
        var spanName = Regex.Match(example, @"\.Span\(""([^""]+)""").Groups[1].Value;
        Assert.False(traceName.Length == 0 || spanName.Length == 0, "the README's first example has no trace or no span:\n" + example);

        // A fresh console app outside the repository. The empty Directory.* files stop MSBuild's upward search, so
        // whatever sits above the temporary folder cannot reach the app either.
        var work = packed.WorkDirectory;
        Assert.False(Path.GetFullPath(work).StartsWith(Path.GetFullPath(packed.RepositoryRoot), StringComparison.Ordinal));
        StopBuildSettingsSearch(work);
        var app = Directory.CreateDirectory(Path.Combine(work, "app")).FullName;
        var runDirectory = Directory.CreateDirectory(Path.Combine(work, "run")).FullName;
        var packages = Path.Combine(work, "packages");
        await WriteNuGetConfigAsync(app, packages);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PandaProbe" Version="{packed.Version}" />
                <PackageReference Include="PandaProbe.Extensions.AI" Version="{packed.Version}" />
                <PackageReference Include="PandaProbe.Extensions.Hosting" Version="{packed.Version}" />
                <PackageReference Include="PandaProbe.Agents.AI" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), example);

        var noCache = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null };
        var build = await DotnetCli.RunAsync(app, BuildTimeout, noCache,
            "build", "App.csproj", "--disable-build-servers", "-nodeReuse:false", "-tl:off", "-clp:Summary");
        Assert.True(build.ExitCode == 0 && !build.TimedOut, build.Describe());
        AssertNoWarnings(build);

        // Every one of our packages came from the local folder, at the packed version.
        using (var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json"))))
        {
            var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToHashSet();
            foreach (var id in PackedPackages.Ids)
            {
                Assert.Contains($"{id}/{packed.Version}", libraries);
                Assert.True(Directory.Exists(Path.Combine(packages, id.ToLowerInvariant(), packed.Version.ToLowerInvariant())),
                    $"{id} {packed.Version} was not installed into this app's package folder\n{build.Describe()}");
            }
        }

        // No platform key: the SDK writes to ./pandaprobe-traces.jsonl in the working directory.
        var run = await DotnetCli.RunAsync(runDirectory, RunTimeout, noCache,
            "run", "--project", Path.Combine(app, "App.csproj"), "--no-build");
        Assert.True(run.ExitCode == 0 && !run.TimedOut, run.Describe());
        var file = Path.Combine(runDirectory, "pandaprobe-traces.jsonl");
        Assert.True(File.Exists(file), $"{file} was not written\n{run.Describe()}");
        var traces = File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        var trace = traces.FirstOrDefault(t => t.TryGetProperty("name", out var n) && n.GetString() == traceName);
        Assert.True(trace.ValueKind == JsonValueKind.Object, $"no trace named {traceName} in {file}:\n{string.Join('\n', traces)}\n{run.Describe()}");
        Assert.Contains(spanName, trace.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.DoesNotContain("Exception", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_blocks_compile_against_the_packed_packages_alone()
    {
        // Every README block (tests/Unit/Docs/ReadmeExamples.Blocks.cs, which the Docs tests run) built by a fresh
        // library outside the repository from the packed packages: no InternalsVisibleTo, no project reference.
        var blocks = Path.Combine(packed.RepositoryRoot, "tests", "Unit", "Docs", "ReadmeExamples.Blocks.cs");
        var work = Directory.CreateDirectory(Path.Combine(packed.WorkDirectory, "blocks-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        StopBuildSettingsSearch(work);
        await WriteNuGetConfigAsync(work, Path.Combine(work, "packages"));
        var otel = XDocument.Load(Path.Combine(packed.RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "OpenTelemetry").Attribute("Version")!.Value;
        File.WriteAllText(Path.Combine(work, "Blocks.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PandaProbe" Version="{packed.Version}" />
                <PackageReference Include="OpenTelemetry" Version="{otel}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(blocks, Path.Combine(work, "ReadmeExamples.Blocks.cs"));

        var build = await DotnetCli.RunAsync(work, BuildTimeout, new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null },
            "build", "Blocks.csproj", "--disable-build-servers", "-nodeReuse:false", "-tl:off", "-clp:Summary");
        Assert.True(build.ExitCode == 0 && !build.TimedOut, build.Describe());
        AssertNoWarnings(build);
    }

    /// <summary>Empty Directory.* files: MSBuild's upward search stops here, so nothing above the folder reaches it.</summary>
    static void StopBuildSettingsSearch(string folder)
    {
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(folder, name), "<Project />\n");
    }

    /// <summary>
    /// A nuget.config in <paramref name="folder"/>: the local feed of packed packages added to the machine's sources (no
    /// <c>&lt;clear /&gt;</c>), the machine's package cache as a read-only fallback for third-party packages, and
    /// <paramref name="packages"/> as this folder's own cache, so nothing of the test lands in the machine's cache.
    /// </summary>
    async Task WriteNuGetConfigAsync(string folder, string packages)
    {
        var locals = await DotnetCli.RunAsync(folder, RunTimeout, null, "nuget", "locals", "global-packages", "--list");
        Assert.True(locals.ExitCode == 0, locals.Describe());
        var machineCache = Regex.Match(locals.Output, @"global-packages:\s*(\S.*?)\s*$", RegexOptions.Multiline).Groups[1].Value;
        Assert.True(machineCache.Length > 0, locals.Describe());
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{SecurityElement.Escape(packages)}" />
              </config>
              <packageSources>
                <add key="pandaprobe-local" value="{SecurityElement.Escape(packed.Feed)}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine-packages" value="{SecurityElement.Escape(machineCache)}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    static void AssertNoWarnings(CliResult result)
    {
        Assert.True(Regex.IsMatch(result.Output, @"^\s*0 Warning\(s\)\s*$", RegexOptions.Multiline), "no '0 Warning(s)' line:\n" + result.Describe());
        Assert.False(Regex.IsMatch(result.Output, @"\bwarning [A-Z]+[0-9]+", RegexOptions.IgnoreCase), "warnings:\n" + result.Describe());
    }
}

/// <summary>
/// The packages' READMEs (src/&lt;project&gt;/README.md, what nuget.org shows) quote the repository's README: every
/// C# block they show is one of the root README's blocks, which the Docs tests compile and run, and the PandaProbe
/// package starts with the same example.
/// </summary>
public class PackageReadmeTests
{
    /// <summary>The ```csharp blocks of a Markdown text, in order, without their fences.</summary>
    public static IEnumerable<string> CSharpBlocks(string markdown) =>
        Regex.Matches(markdown.ReplaceLineEndings("\n"), @"^[ \t]*```csharp\n(.*?)\n[ \t]*```[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value + "\n");

    [Fact]
    public void Package_readmes_show_only_code_of_the_repository_readme()
    {
        var root = Support.SharedData.RepositoryRoot!;
        var rootBlocks = CSharpBlocks(File.ReadAllText(Path.Combine(root, "README.md"))).ToList();
        foreach (var id in PackedPackages.Ids)
        {
            var readme = Path.Combine(root, "src", id, "README.md");
            Assert.True(File.Exists(readme), $"{readme} is missing");
            foreach (var block in CSharpBlocks(File.ReadAllText(readme)))
                Assert.True(rootBlocks.Contains(block), $"{id}'s README shows a C# block that README.md does not:\n{block}");
        }
        Assert.Equal(rootBlocks[0], CSharpBlocks(File.ReadAllText(Path.Combine(root, "src", "PandaProbe", "README.md"))).First());
    }
}
