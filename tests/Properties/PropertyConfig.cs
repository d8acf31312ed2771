namespace PandaProbe.Properties;

/// <summary>
/// The one configuration every property runs with: it throws on failure (so the xunit fact fails), stays quiet on
/// success, and runs <c>PROPERTY_MAX_TEST</c> cases (200 when the variable is unset or not a positive number).
/// </summary>
public static class PropertyConfig
{
    /// <summary>The number of cases per property.</summary>
    public static int MaxTest { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("PROPERTY_MAX_TEST"), out var n) && n > 0 ? n : 200;

    /// <summary>The shared configuration, derived from <see cref="Config.QuickThrowOnFailure"/>.</summary>
    public static Config Default { get; } = Config.QuickThrowOnFailure.WithMaxTest(MaxTest).WithQuietOnSuccess(true);

    /// <summary>
    /// <see cref="Default"/> with at least <paramref name="cases"/> cases: for checks that must find a failure (a
    /// broken reducer), which would turn flaky if <c>PROPERTY_MAX_TEST</c> were set low.
    /// </summary>
    public static Config AtLeast(int cases) => Default.WithMaxTest(Math.Max(cases, MaxTest));
}
