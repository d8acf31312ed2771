using PandaProbe.Properties.Delivery;
using PandaProbe.Properties.Messages;

namespace PandaProbe.Properties.Generators;

/// <summary>
/// The custom arbitraries registered by <see cref="TracePropertyAttribute"/>: one per input type the properties take
/// that FsCheck has no built-in arbitrary for (built-in types such as <c>byte[]</c> keep FsCheck's own). Only the
/// registrations live here; each arbitrary is defined next to the code that interprets it.
/// </summary>
public static class Arbitraries
{
    /// <summary>One-script plans (<see cref="Plans.Script"/>).</summary>
    public static Arbitrary<ScriptPlan> Script() => Plans.Script;

    /// <summary>Long one-script plans (<see cref="Plans.LongScript"/>).</summary>
    public static Arbitrary<LongScriptPlan> LongScript() => Plans.LongScript;

    /// <summary>Interleaving plans (<see cref="Plans.Interleaving"/>).</summary>
    public static Arbitrary<InterleavingPlan> Interleaving() => Plans.Interleaving;

    /// <summary>Interleavings of long traces (<see cref="Plans.LongInterleaving"/>).</summary>
    public static Arbitrary<LongInterleavingPlan> LongInterleaving() => Plans.LongInterleaving;

    /// <summary>Span-table operations (<see cref="Plans.SpanTableOps"/>).</summary>
    public static Arbitrary<SpanTablePlan> SpanTableOps() => Plans.SpanTableOps;

    /// <summary>Per-thread plans (<see cref="Plans.Threads"/>).</summary>
    public static Arbitrary<ThreadsPlan> Threads() => Plans.Threads;

    /// <summary>Messages values with their oracle (<see cref="MessagesFormatProperties.Values"/>).</summary>
    public static Arbitrary<MessagesFormatProperties.Value> MessagesValue() => MessagesFormatProperties.Values;

    /// <summary>Backoff inputs.</summary>
    public static Arbitrary<BackoffInput> Backoff() => DeliveryInputs.Backoff;

    /// <summary>Jitter draws.</summary>
    public static Arbitrary<JitterDraw> Jitter() => DeliveryInputs.Jitter;

    /// <summary>Retry-After delays in seconds.</summary>
    public static Arbitrary<RetrySeconds> RetrySeconds() => DeliveryInputs.Seconds;

    /// <summary>HTTP date offsets.</summary>
    public static Arbitrary<DateOffset> DateOffset() => DeliveryInputs.Offset;

    /// <summary>Retry-After caps.</summary>
    public static Arbitrary<CapSeconds> CapSeconds() => DeliveryInputs.Cap;

    /// <summary>Adaptive limit maxima.</summary>
    public static Arbitrary<LimitMax> LimitMax() => DeliveryInputs.Max;

    /// <summary>Throttling runs.</summary>
    public static Arbitrary<Throttling> Throttling() => DeliveryInputs.Throttles;

    /// <summary>Span chunking inputs.</summary>
    public static Arbitrary<Chunking> Chunking() => DeliveryInputs.Chunks;
}
