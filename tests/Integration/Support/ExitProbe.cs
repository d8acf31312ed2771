namespace PandaProbe.Integration.Support;

/// <summary>The child-process program of the process-level tests (tests/ExitProbe), built beside this assembly.</summary>
public static class ExitProbe
{
    /// <summary>The path of ExitProbe.dll for this configuration and target framework.</summary>
    public static string Path()
    {
        // tests/Integration/bin/<Configuration>/<tfm>/ → tests/ExitProbe/bin/<Configuration>/<tfm>/ExitProbe.dll
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var tests = here.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = System.IO.Path.Combine(tests, "ExitProbe", "bin", configuration, tfm, "ExitProbe.dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"the ExitProbe program was not built at {path}", path);
        return path;
    }
}
