namespace PandaProbe.Properties.Delivery;

// The inputs of the delivery properties, drawn from fixed ranges (Gen.Choose, so they are not shrunk). Each is its own
// type so that the shared attribute can register its arbitrary (see Arbitraries).

/// <summary>The inputs of <c>Backoff.Delay</c>: attempt -5..200, base 0..100,000 ms, cap 0..1,000,000 ms, jitter in thousandths, full or equal jitter.</summary>
public sealed record BackoffInput(int Attempt, long BaseMs, long MaxMs, double Jitter, bool Full);

/// <summary>A jitter draw in millionths, 0..1,000,000.</summary>
public sealed record JitterDraw(int Millionths);

/// <summary>A Retry-After delay in seconds, 0..100,000.</summary>
public sealed record RetrySeconds(int Value);

/// <summary>The offset of an HTTP date from now, -100,000..100,000 seconds.</summary>
public sealed record DateOffset(int Seconds);

/// <summary>The cap on a Retry-After delay, 0..3,600 seconds.</summary>
public sealed record CapSeconds(int Value);

/// <summary>The maximum of an adaptive limit, 1..64.</summary>
public sealed record LimitMax(int Value);

/// <summary>An adaptive limit's maximum (1..32) and a number of throttles in a row (0..40).</summary>
public sealed record Throttling(int Max, int Throttles);

/// <summary>A number of spans (0..2,600) and a chunk size (1..700).</summary>
public sealed record Chunking(int Count, int Size);

/// <summary>The arbitraries of the delivery inputs.</summary>
internal static class DeliveryInputs
{
    public static Arbitrary<BackoffInput> Backoff { get; } =
        (from attempt in Gen.Choose(-5, 200)
         from baseMs in Gen.Choose(0, 100_000)
         from maxMs in Gen.Choose(0, 1_000_000)
         from jitter in Gen.Choose(0, 1000).Select(j => j / 1000d)
         from full in ArbMap.Default.GeneratorFor<bool>()
         select new BackoffInput(attempt, baseMs, maxMs, jitter, full)).ToArbitrary();

    public static Arbitrary<JitterDraw> Jitter { get; } = Gen.Choose(0, 1_000_000).Select(j => new JitterDraw(j)).ToArbitrary();

    public static Arbitrary<RetrySeconds> Seconds { get; } = Gen.Choose(0, 100_000).Select(s => new RetrySeconds(s)).ToArbitrary();

    public static Arbitrary<DateOffset> Offset { get; } = Gen.Choose(-100_000, 100_000).Select(s => new DateOffset(s)).ToArbitrary();

    public static Arbitrary<CapSeconds> Cap { get; } = Gen.Choose(0, 3600).Select(s => new CapSeconds(s)).ToArbitrary();

    public static Arbitrary<LimitMax> Max { get; } = Gen.Choose(1, 64).Select(m => new LimitMax(m)).ToArbitrary();

    public static Arbitrary<Throttling> Throttles { get; } =
        (from max in Gen.Choose(1, 32) from throttles in Gen.Choose(0, 40) select new Throttling(max, throttles)).ToArbitrary();

    public static Arbitrary<Chunking> Chunks { get; } =
        (from count in Gen.Choose(0, 2600) from size in Gen.Choose(1, 700) select new Chunking(count, size)).ToArbitrary();
}
