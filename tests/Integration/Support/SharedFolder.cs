using Xunit;

namespace PandaProbe.Integration.Support;

/// <summary>
/// Locates the read-only shared folder (<c>../shared</c> next to the repository root). A user's clone has none, so
/// tests that need it are skipped with a clear message through <see cref="SharedFolderFactAttribute"/>.
/// </summary>
public static class SharedFolder
{
    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The shared folder, or null when absent.</summary>
    public static string? Path => Root.Value;

    /// <summary>The message used when the folder is absent.</summary>
    public const string SkipMessage = "The shared data folder (../shared next to PandaProbe.sln) is absent: test skipped.";

    /// <summary>A file inside the shared folder, or null when the folder is absent.</summary>
    public static string? File(params string[] parts) =>
        Path is null ? null : System.IO.Path.Combine([Path, .. parts]);

    /// <summary>The repository root (the folder holding PandaProbe.sln), or null.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "PandaProbe.sln"))) return dir.FullName;
        return null;
    }

    private static string? Locate()
    {
        var root = RepositoryRoot();
        if (root is null) return null;
        var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, "..", "shared"));
        return Directory.Exists(System.IO.Path.Combine(shared, "pandaprobe-api")) ? shared : null;
    }
}

/// <summary>A fact skipped (with a message) when the shared folder is absent.</summary>
public sealed class SharedFolderFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when the folder is absent.</summary>
    public SharedFolderFactAttribute()
    {
        if (SharedFolder.Path is null) Skip = SharedFolder.SkipMessage;
    }
}
