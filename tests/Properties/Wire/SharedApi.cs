namespace PandaProbe.Properties.Wire;

/// <summary>
/// Locates the platform's <c>openapi.json</c> in the development checkout: <c>../shared/pandaprobe-api</c> next to
/// the repository root (the folder holding <c>PandaProbe.sln</c>). A user's clone has no such folder.
/// </summary>
public static class SharedApi
{
    /// <summary>The message of every test skipped for want of the shared data.</summary>
    public const string SkipMessage =
        "../shared/pandaprobe-api/openapi.json not found next to the repository: the schema is only available in the development checkout";

    static readonly Lazy<string?> Path = new(Locate);

    /// <summary>The path of <c>openapi.json</c>, or null when absent.</summary>
    public static string? OpenApiPath => Path.Value;

    static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "PandaProbe.sln"))) continue;
            var file = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "pandaprobe-api", "openapi.json"));
            return File.Exists(file) ? file : null;
        }
        return null;
    }
}

/// <summary>A <see cref="FactAttribute"/> skipped when the platform's <c>openapi.json</c> is absent.</summary>
public sealed class OpenApiFactAttribute : FactAttribute
{
    /// <summary>Marks the test as needing <c>../shared/pandaprobe-api/openapi.json</c>.</summary>
    public OpenApiFactAttribute()
    {
        if (SharedApi.OpenApiPath is null) Skip = SharedApi.SkipMessage;
    }
}
