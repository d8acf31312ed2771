using Xunit;

namespace PandaProbe.Unit.Support;

/// <summary>
/// Locates the development checkout's shared conformance data: <c>../shared</c> next to the repository root (the
/// folder holding <c>PandaProbe.sln</c>). A user's clone has no such folder, so tests that need it are skipped.
/// </summary>
public static class SharedData
{
    /// <summary>The message of every test skipped for want of the shared data.</summary>
    public const string SkipMessage =
        "../shared/pandaprobe-api not found next to the repository: conformance data is only available in the development checkout";

    static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The repository root (the folder holding <c>PandaProbe.sln</c>), or null when not found.</summary>
    public static string? RepositoryRoot => FindRepositoryRoot();

    /// <summary>The <c>../shared</c> folder, or null when it (or its <c>pandaprobe-api</c> folder) is absent.</summary>
    public static string? Directory => Root.Value;

    /// <summary><c>true</c> when the shared data is present.</summary>
    public static bool IsAvailable => Root.Value is not null;

    /// <summary>The <c>pandaprobe-api</c> folder (CONTRACT.md, openapi.json, seed/).</summary>
    public static string ApiDirectory => Path.Combine(Require(), "pandaprobe-api");

    /// <summary>The seed payload folder.</summary>
    public static string SeedDirectory => Path.Combine(ApiDirectory, "seed");

    /// <summary>The platform's OpenAPI document.</summary>
    public static string OpenApiPath => Path.Combine(ApiDirectory, "openapi.json");

    /// <summary>A path inside the shared folder.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Require(), .. parts]);

    /// <summary>The seed file names, sorted (empty when the data is absent, so theories still enumerate).</summary>
    public static IEnumerable<object[]> SeedFiles() =>
        IsAvailable
            ? System.IO.Directory.GetFiles(SeedDirectory, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)
                .Select(f => new object[] { f! })
            : [["(no shared data)"]];

    static string Require() => Root.Value ?? throw new InvalidOperationException(SkipMessage);

    static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PandaProbe.sln"))) return dir.FullName;
        return null;
    }

    static string? Locate()
    {
        if (FindRepositoryRoot() is not { } root) return null;
        var shared = Path.GetFullPath(Path.Combine(root, "..", "shared"));
        return System.IO.Directory.Exists(Path.Combine(shared, "pandaprobe-api")) ? shared : null;
    }
}

/// <summary>A <see cref="FactAttribute"/> skipped when <c>../shared</c> is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    /// <summary>Marks the test as needing the shared conformance data.</summary>
    public SharedDataFactAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.SkipMessage;
    }
}

/// <summary>A <see cref="TheoryAttribute"/> skipped when <c>../shared</c> is absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    /// <summary>Marks the theory as needing the shared conformance data.</summary>
    public SharedDataTheoryAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.SkipMessage;
    }
}
