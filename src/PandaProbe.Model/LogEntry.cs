namespace PandaProbe.Model;

/// <summary>A free-form log line kept with a trace or span.</summary>
/// <param name="At">When it was logged.</param>
/// <param name="Data">What was logged.</param>
public sealed record LogEntry(DateTimeOffset At, Payload Data);
