namespace PandaProbe.Decorators;

/// <summary>
/// The <see cref="IAsyncEnumerable{T}"/> a decorated method returns: each enumeration is a span that starts with the
/// enumeration, collects the items as they stream (when the output is captured) and ends when the enumeration ends,
/// fails or is disposed (<c>metadata.incomplete</c> when disposed before its end). The source's code runs with the
/// span current, so decorated calls it makes nest under it; the consumer's loop body does not.
/// </summary>
internal sealed class TracedStream<TItem>(IAsyncEnumerable<TItem> source, Invocation call) : IAsyncEnumerable<TItem>
{
    static readonly IReadOnlyDictionary<string, object?> Incomplete = new Dictionary<string, object?> { ["incomplete"] = true };

    public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var recording = call.Again();
        IAsyncEnumerator<TItem>? inner = null;
        ExecutionContext? spanContext = null;
        Exception? thrown = null;
        // Started apart from the consumer's flow: the span is current for the source's code only.
        TracingProxy.Isolated(() =>
        {
            recording.Start();
            spanContext = ExecutionContext.Capture();
            try { inner = source.GetAsyncEnumerator(cancellationToken); }
            catch (Exception e) { thrown = e; }
        });
        if (thrown is not null)
        {
            recording.Fail(thrown);
            Awaiting.Rethrow(thrown);
        }
        return new Enumerator(inner!, recording, spanContext);
    }

    sealed class Enumerator(IAsyncEnumerator<TItem> inner, Invocation call, ExecutionContext? spanContext) : IAsyncEnumerator<TItem>
    {
        readonly List<object?>? items = call.Plan.CaptureOutput ? new() : null;
        bool finished;

        public TItem Current => inner.Current;

        public ValueTask<bool> MoveNextAsync()
        {
            ValueTask<bool> next;
            try { next = InSpan(static e => e.MoveNextAsync(), inner); }
            catch (Exception e) when (Finish(e)) { throw; }
            if (!next.IsCompletedSuccessfully) return Await(next);
            var more = next.Result;
            Moved(more);
            return new ValueTask<bool>(more);
        }

        async ValueTask<bool> Await(ValueTask<bool> next)
        {
            try
            {
                var more = await next.ConfigureAwait(false);
                Moved(more);
                return more;
            }
            catch (Exception e) when (Finish(e))
            {
                throw;
            }
        }

        void Moved(bool more)
        {
            if (finished) return;
            if (more)
            {
                items?.Add(MethodPlan.Capturable(inner.Current));
                return;
            }
            finished = true;
            call.Succeed(items, hasOutput: items is not null);
        }

        bool Finish(Exception e)
        {
            if (!finished && items is not null) call.SetPartialOutput(items);
            finished = true;
            return call.Fail(e);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await InSpan(static e => e.DisposeAsync(), inner).ConfigureAwait(false);
            }
            catch (Exception e) when (Finish(e))
            {
                throw;
            }
            finally
            {
                if (!finished)
                {
                    finished = true;
                    call.SetMetadata(Incomplete);
                    call.Succeed(items, hasOutput: items is not null);
                }
            }
        }

        /// <summary>Runs a step of the source with the span current (its continuations keep it).</summary>
        T InSpan<T>(Func<IAsyncEnumerator<TItem>, T> step, IAsyncEnumerator<TItem> enumerator)
        {
            if (spanContext is null) return step(enumerator);
            var result = default(T)!;
            ExecutionContext.Run(spanContext, _ => result = step(enumerator), null);
            return result;
        }
    }
}
