using System.Text;

namespace PandaProbe.Cli.Tests.Support;

/// <summary>A writer that may be written by a command while the test reads it.</summary>
internal sealed class SyncWriter : TextWriter
{
    readonly StringBuilder text = new();
    public override Encoding Encoding => Encoding.UTF8;
    public override void Write(char value) { lock (text) text.Append(value); }
    public override void Write(string? value) { lock (text) text.Append(value); }
    public override void WriteLine(string? value) { lock (text) text.Append(value).Append(NewLine); }
    public override string ToString() { lock (text) return text.ToString(); }
}
