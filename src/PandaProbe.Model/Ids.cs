namespace PandaProbe.Model;

/// <summary>The identity of a trace: a GUID, written lower-case and hyphenated on the wire.</summary>
/// <param name="Value">The underlying GUID.</param>
public readonly record struct TraceId(Guid Value) : IComparable<TraceId>
{
    /// <summary>Creates a fresh random (version 4) trace id.</summary>
    public static TraceId New() => new(Guid.NewGuid());

    /// <inheritdoc />
    public int CompareTo(TraceId other) => Value.CompareTo(other.Value);

    /// <summary>The wire form: lower-case, hyphenated, 36 characters.</summary>
    public override string ToString() => Value.ToString("D");
}

/// <summary>The identity of a span: a GUID, written lower-case and hyphenated on the wire.</summary>
/// <param name="Value">The underlying GUID.</param>
public readonly record struct SpanId(Guid Value) : IComparable<SpanId>
{
    /// <summary>Creates a fresh random (version 4) span id.</summary>
    public static SpanId New() => new(Guid.NewGuid());

    /// <inheritdoc />
    public int CompareTo(SpanId other) => Value.CompareTo(other.Value);

    /// <summary>The wire form: lower-case, hyphenated, 36 characters.</summary>
    public override string ToString() => Value.ToString("D");
}
