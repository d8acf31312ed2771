namespace PandaProbe.Model;

/// <summary>The identity of a trace: a GUID, written lower-case and hyphenated on the wire.</summary>
/// <param name="Value">The underlying GUID.</param>
public readonly record struct TraceId(Guid Value) : IComparable<TraceId>
{
    /// <summary>Creates a fresh random (version 4) trace id; see <see cref="RandomGuid.NewV4()"/> for how it is drawn.</summary>
    public static TraceId New() => new(RandomGuid.NewV4());

    /// <inheritdoc />
    public int CompareTo(TraceId other) => Value.CompareTo(other.Value);

    /// <summary>The wire form: lower-case, hyphenated, 36 characters.</summary>
    public override string ToString() => Value.ToString("D");
}

/// <summary>The identity of a span: a GUID, written lower-case and hyphenated on the wire.</summary>
/// <param name="Value">The underlying GUID.</param>
public readonly record struct SpanId(Guid Value) : IComparable<SpanId>
{
    /// <summary>Creates a fresh random (version 4) span id; see <see cref="RandomGuid.NewV4()"/> for how it is drawn.</summary>
    public static SpanId New() => new(RandomGuid.NewV4());

    /// <inheritdoc />
    public int CompareTo(SpanId other) => Value.CompareTo(other.Value);

    /// <summary>The wire form: lower-case, hyphenated, 36 characters.</summary>
    public override string ToString() => Value.ToString("D");
}

/// <summary>
/// Random version 4 GUIDs for trace and span ids, drawn from <see cref="Random.Shared"/> (a per-thread generator, no
/// lock and no system call) instead of <see cref="Guid.NewGuid"/>, whose cryptographic source costs a system call per
/// id (about 0.5 µs on Linux, more than the rest of a span). Ids identify; they protect nothing, so a
/// non-cryptographic source is enough (OpenTelemetry .NET draws its ids the same way). The 122 random bits keep
/// collisions out of reach for any realistic number of ids.
/// </summary>
internal static class RandomGuid
{
    /// <summary>A new random GUID with the version 4 and RFC 4122 variant bits set.</summary>
    public static Guid NewV4()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        // Guid's byte layout (little-endian fields): byte 7 holds the version nibble, byte 8 the variant bits.
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>A new random version 4 GUID whose first 48 bits (as <see cref="Leading48"/> reads them) are given.</summary>
    internal static Guid NewV4(ulong leading48)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        for (var i = 5; i >= 0; i--, leading48 >>= 8) bytes[i] = (byte)leading48;
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>Bytes 0 to 5 of the GUID's byte layout, as one number: 48 random bits in a version 4 GUID.</summary>
    internal static ulong Leading48(Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        ulong leading = 0;
        for (var i = 0; i < 6; i++) leading = (leading << 8) | bytes[i];
        return leading;
    }
}
