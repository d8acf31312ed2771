using Xunit;

namespace PandaProbe.RealPlatform.Support;

/// <summary>
/// Finds the real platform's harness of the development checkout: <c>../shared/pandaprobe-platform</c> next to the
/// repository root (the folder holding <c>PandaProbe.sln</c>). A user's clone has no such folder, and the harness
/// needs root (it uses <c>chroot</c>): without either, the tests are skipped, except on a CI server (the variable
/// <c>CI</c> set to anything), where they fail and say why.
/// </summary>
public static class PlatformLocation
{
    static readonly Lazy<string?> Folder = new(Locate);

    /// <summary><c>true</c> when the variable <c>CI</c> is set to anything non-empty.</summary>
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>The repository root, or null when no folder above this assembly holds <c>PandaProbe.sln</c>.</summary>
    public static string? RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "PandaProbe.sln"))) return dir.FullName;
            return null;
        }
    }

    /// <summary>The harness folder (holding <c>start.sh</c>), or null when absent.</summary>
    public static string? Directory => Folder.Value;

    /// <summary>Why the real platform cannot run here, or null when it can.</summary>
    public static string? Unavailable =>
        Directory is null
            ? $"../shared/pandaprobe-platform (with start.sh) not found next to the repository root ({RepositoryRoot ?? "no PandaProbe.sln above " + AppContext.BaseDirectory}): the real platform is only available in the development checkout"
            : !Environment.IsPrivilegedProcess
                ? $"the real platform's start.sh needs root (it uses chroot); this test process runs as '{Environment.UserName}'"
                : null;

    /// <summary>The reason to skip (outside CI, when the platform cannot run), or null.</summary>
    public static string? SkipReason => InCi ? null : Unavailable;

    static string? Locate()
    {
        if (RepositoryRoot is not { } root) return null;
        var folder = Path.GetFullPath(Path.Combine(root, "..", "shared", "pandaprobe-platform"));
        return File.Exists(Path.Combine(folder, "start.sh")) ? folder : null;
    }
}

/// <summary>
/// A <see cref="FactAttribute"/> for tests against the real platform: skipped when it cannot run here (no harness
/// folder, not root), unless <c>CI</c> is set: there the test runs and fails with the reason.
/// </summary>
public sealed class RealPlatformFactAttribute : FactAttribute
{
    /// <summary>Marks the test as needing the real platform.</summary>
    public RealPlatformFactAttribute()
    {
        if (PlatformLocation.SkipReason is { } reason) Skip = reason;
    }
}
