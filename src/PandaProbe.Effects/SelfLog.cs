namespace PandaProbe;

/// <summary>
/// The SDK's own diagnostic channel (Serilog's idea): problems inside PandaProbe — a failing exporter, a throwing
/// subscriber, a rejected event — are written here instead of being thrown into your code. Off by default.
/// </summary>
/// <example><code>PandaProbe.SelfLog.Enable(Console.Error.WriteLine);</code></example>
public static class SelfLog
{
    static Action<string>? output;

    /// <summary>Sends SDK diagnostics to <paramref name="writer"/> (replacing any previous one).</summary>
    public static void Enable(Action<string> writer) => output = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Stops writing SDK diagnostics.</summary>
    public static void Disable() => output = null;

    /// <summary>The writer set by <see cref="Enable"/>, or <c>null</c> (to put it back after replacing it for a while).</summary>
    public static Action<string>? Writer => output;

    /// <summary><c>true</c> while a writer is set.</summary>
    public static bool IsEnabled => output is not null;

    /// <summary>Writes one diagnostic line (with a UTC timestamp) when enabled; never throws.</summary>
    public static void Write(string message)
    {
        var o = output;
        if (o is null) return;
        try { o($"{DateTimeOffset.UtcNow:O} PandaProbe: {message}"); }
        catch { /* a failing diagnostic writer must not take the SDK down */ }
    }
}
