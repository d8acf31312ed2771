using PandaProbe.Unit.Support;
using Xunit;

namespace PandaProbe.Unit.Packaging;

/// <summary>
/// The size of what users see, read from the public API baselines (which the build keeps equal to the compiled surface:
/// a public member missing from them, or listed and gone, is a build error).
/// </summary>
public class PublicSurfaceTests
{
    /// <summary>The packages a user installs (the tool's assembly is an executable, not a library).</summary>
    static readonly string[] Packages =
        ["PandaProbe.Model", "PandaProbe.Effects", "PandaProbe", "PandaProbe.Extensions.AI", "PandaProbe.Extensions.Hosting", "PandaProbe.Agents.AI"];

    /// <summary>The public top-level types of every package (nested types and members left out).</summary>
    static IReadOnlyList<string> TopLevelTypes()
    {
        var root = SharedData.RepositoryRoot ?? throw new InvalidOperationException("the repository root (PandaProbe.sln) was not found");
        var declared = new List<string>();
        foreach (var package in Packages)
            foreach (var file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
            {
                var path = Path.Combine(root, "src", package, file);
                Assert.True(File.Exists(path), $"missing {path}");
                foreach (var raw in File.ReadLines(path))
                {
                    var line = raw.Trim();
                    if (line.Length == 0 || line.StartsWith('#')) continue;
                    foreach (var prefix in new[] { "abstract ", "static ", "sealed ", "virtual ", "override ", "const ", "readonly " })
                        while (line.StartsWith(prefix, StringComparison.Ordinal)) line = line[prefix.Length..];
                    if (line.Contains('(') || line.Contains("->", StringComparison.Ordinal) || line.Contains(" = ", StringComparison.Ordinal)) continue;
                    declared.Add(line);
                }
            }
        var names = declared.ToHashSet(StringComparer.Ordinal);
        return declared.Where(t => !names.Contains(t[..Math.Max(0, t.LastIndexOf('.'))])).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public void The_shipped_packages_declare_at_most_fifty_public_top_level_types()
    {
        var types = TopLevelTypes();
        Assert.True(types.Count <= 50, $"{types.Count} public top-level types (at most 50): {string.Join(", ", types)}");
    }

    [Fact]
    public void The_count_sees_every_kind_of_declaration()
    {
        var types = TopLevelTypes();
        // A class, a record, an enum, an interface, a static class, a record struct: each counted once, nested types not.
        Assert.Contains("PandaProbe.PandaProbeClient", types);
        Assert.Contains("PandaProbe.Model.TraceRecord", types);
        Assert.Contains("PandaProbe.Pipeline.DropReason", types);
        Assert.Contains("PandaProbe.Exporters.ITraceExporter", types);
        Assert.Contains("PandaProbe.Probe", types);
        Assert.Contains("PandaProbe.Exporters.ExportResult", types);
        Assert.DoesNotContain("PandaProbe.Model.Summary.TraceSummary.ModelUsage", types);
        Assert.Equal(types.Count, types.Distinct().Count());
    }
}
