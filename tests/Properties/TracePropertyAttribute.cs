using FsCheck.Xunit;
using PandaProbe.Properties.Generators;

namespace PandaProbe.Properties;

/// <summary>
/// The one configuration every property runs with: <c>PROPERTY_MAX_TEST</c> cases (200 when the variable is unset or
/// not a positive number), the custom arbitraries of <see cref="Arbitraries"/>, and quiet on success. A property that
/// is slow or fast per case adjusts its count here (<see cref="AtMost"/>, <see cref="AtLeast"/>, <see cref="Divisor"/>),
/// always relative to <see cref="Cases"/>. The checks that run a property themselves and expect it to fail (a
/// deliberately broken implementation must be caught) take their configuration from <see cref="MustFind"/>.
/// </summary>
public sealed class TracePropertyAttribute : PropertyAttribute
{
    /// <summary>The configured number of cases per property.</summary>
    public static int Cases { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("PROPERTY_MAX_TEST"), out var n) && n > 0 ? n : 200;

    int atMost = int.MaxValue;
    int atLeast = 1;
    int divisor = 1;

    /// <summary>The shared settings.</summary>
    public TracePropertyAttribute()
    {
        MaxTest = Cases;
        Arbitrary = [typeof(Arbitraries)];
        QuietOnSuccess = true;
    }

    /// <summary>At most this many cases, for slow properties (fewer when <see cref="Cases"/> is lower).</summary>
    public int AtMost { get => atMost; set { atMost = value; Recount(); } }

    /// <summary>
    /// At least this many cases, even when <see cref="Cases"/> is lower: for properties whose own count was higher, and
    /// for checks that must find a failure, which would turn flaky with few cases.
    /// </summary>
    public int AtLeast { get => atLeast; set { atLeast = value; Recount(); } }

    /// <summary><see cref="Cases"/> divided by this (at least one case), for properties whose every case is a long script.</summary>
    public int Divisor { get => divisor; set { divisor = value; Recount(); } }

    void Recount() => MaxTest = Math.Max(atLeast, Math.Min(atMost, Math.Max(1, Cases / Math.Max(1, divisor))));

    /// <summary>These settings as a configuration that throws when the property is false (so the caller's test fails).</summary>
    public Config ToThrowingConfig() =>
        Config.QuickThrowOnFailure.WithMaxTest(MaxTest).WithQuietOnSuccess(QuietOnSuccess).WithArbitrary(Arbitrary);

    /// <summary>
    /// The configuration of a check that runs a property itself and must find a failure: the shared settings, throwing,
    /// with at least <paramref name="cases"/> cases so the check does not turn flaky when <c>PROPERTY_MAX_TEST</c> is low.
    /// </summary>
    public static Config MustFind(int cases) => new TracePropertyAttribute { AtLeast = cases }.ToThrowingConfig();
}
