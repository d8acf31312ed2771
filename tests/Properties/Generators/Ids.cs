namespace PandaProbe.Properties.Generators;

/// <summary>Deterministic ids for generated scripts, so that the same plan always gives equal events.</summary>
internal static class Ids
{
    /// <summary>The id of trace number <paramref name="trace"/>.</summary>
    public static TraceId Trace(int trace) =>
        new(new Guid(trace, 0x7ace, 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 0));

    /// <summary>The id of span number <paramref name="span"/> of trace number <paramref name="trace"/>.</summary>
    public static SpanId Span(int trace, int span) =>
        new(new Guid(trace, (short)span, 0x4000, 0x80, 0, 0, 0, (byte)(span >> 16), 0, 0, 1));
}
