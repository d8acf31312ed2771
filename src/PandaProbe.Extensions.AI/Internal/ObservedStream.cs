using System.Runtime.CompilerServices;

namespace PandaProbe.Extensions.AI.Internal;

/// <summary>The telemetry of one stream: told each update, then exactly one of its failure or its end.</summary>
/// <typeparam name="T">The update type.</typeparam>
internal interface IStreamTelemetry<in T>
{
    /// <summary>One update, as it passes to the consumer.</summary>
    void Observe(T update);

    /// <summary>The stream (or opening it) threw <paramref name="exception"/>, which then reaches the consumer unchanged.</summary>
    void Fail(Exception exception);

    /// <summary>The stream ended: <paramref name="incomplete"/> when the consumer stopped before its end.</summary>
    void CompleteStream(bool incomplete);
}

/// <summary>
/// Passes a stream through to its consumer unchanged while its telemetry watches it: every update as it arrives, then
/// one ending (completed, failed — the exception rethrown as it is — or stopped early by the consumer). Used by the
/// chat client, the tool-loop trace and the Agent Framework wrapper alike.
/// </summary>
internal static class ObservedStream
{
    /// <summary>
    /// The stream <paramref name="open"/> gives, watched by <paramref name="telemetry"/>. With a <paramref name="flow"/>,
    /// opening and every pull run in it (a span made current before the first yield stays current for the work the
    /// inner stream does while it is pulled); with <c>null</c>, in the consumer's flow.
    /// </summary>
    public static async IAsyncEnumerable<T> Pass<T>(Func<CancellationToken, IAsyncEnumerable<T>> open, IStreamTelemetry<T> telemetry,
        ExecutionContext? flow, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<T>? inner = null;
        var completed = false;
        var failed = false;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    inner ??= InFlow(flow, () => open(cancellationToken).GetAsyncEnumerator(cancellationToken));
                    more = await InFlow(flow, inner.MoveNextAsync).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    failed = true;
                    telemetry.Fail(ex);
                    throw;
                }
                if (!more) break;
                var update = inner.Current;
                telemetry.Observe(update);
                yield return update;
            }
            completed = true;
        }
        finally
        {
            // The inner stream is disposed first: the spans it still holds open (a model call stopped early) end before
            // the span or trace of this stream does.
            try
            {
                if (inner is not null) await InFlow(flow, inner.DisposeAsync).ConfigureAwait(false);
            }
            finally
            {
                if (!failed) telemetry.CompleteStream(incomplete: !completed);
            }
        }
    }

    static TResult InFlow<TResult>(ExecutionContext? flow, Func<TResult> step)
    {
        if (flow is null) return step();
        TResult result = default!;
        ExecutionContext.Run(flow, _ => result = step(), null);
        return result;
    }
}
