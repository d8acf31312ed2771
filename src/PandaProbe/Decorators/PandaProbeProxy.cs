using System.Reflection;
using PandaProbe.Decorators;

namespace PandaProbe;

/// <summary>
/// Decorates an interface's implementation so that each call becomes a span: the .NET form of a tracing decorator,
/// built on <see cref="DispatchProxy"/>. Register decorated services with dependency injection through
/// <c>services.AddPandaProbeTracing&lt;IMyService, MyService&gt;()</c> or
/// <c>services.DecorateWithPandaProbe&lt;IMyService&gt;()</c> (package <c>PandaProbe.Extensions.Hosting</c>).
/// </summary>
/// <remarks>
/// <para>
/// Each call of an interface method is a span of the trace open in the current async flow, a child of its current
/// span, and the current span while the implementation runs, so decorated calls made by the implementation nest under
/// it. When no trace is open, the call is a trace of its own, named after the method, holding the call's span (with
/// the same input and output). Spans are named after the method and are <see cref="SpanType.Other"/> unless a
/// <see cref="PandaProbeSpanAttribute"/> on the method or the interface says otherwise.
/// </para>
/// <para>
/// The input is an object of the arguments keyed by parameter name (<see cref="CancellationToken"/> and <c>out</c>
/// parameters left out; a lazy sequence, an <see cref="IEnumerable{T}"/> that is not a collection, is recorded by its
/// type name and never enumerated). The output is the result: for a <see cref="Task{TResult}"/> or
/// <see cref="ValueTask{TResult}"/>, its result once it completes (the span ends then); for an
/// <see cref="IAsyncEnumerable{T}"/>, the items as they are enumerated, the span lasting from the start of the
/// enumeration until it ends or is disposed (<c>metadata.incomplete</c> when it was left before its end; each
/// enumeration is a span). <see cref="Task"/>, <see cref="ValueTask"/> and <c>void</c> methods have no output.
/// </para>
/// <para>
/// An exception is recorded on the span (and on the call's own trace) and propagates unchanged: the implementation is
/// invoked without <see cref="TargetInvocationException"/> wrapping, and a faulted or cancelled task completes the
/// returned task with the same exceptions. Property and event accessors (unless they carry the attribute) and
/// <see cref="IDisposable.Dispose"/> and <see cref="IAsyncDisposable.DisposeAsync"/> are forwarded without a span.
/// Recording never throws into your code, and when tracing is disabled (and no trace is open) a call costs one
/// reflection invocation.
/// </para>
/// </remarks>
public static class PandaProbeProxy
{
    /// <summary>
    /// Returns a <typeparamref name="T"/> that forwards every call to <paramref name="implementation"/> and records it
    /// as a span (see <see cref="PandaProbeProxy"/>).
    /// </summary>
    /// <typeparam name="T">The interface to decorate.</typeparam>
    /// <param name="implementation">The object the calls are forwarded to.</param>
    /// <param name="client">
    /// The client that starts a call's own trace when no trace is open; <c>null</c> for <see cref="Probe"/>'s default
    /// client. A call made while a trace is open is a span of that trace, whichever client started it.
    /// </param>
    /// <returns>The decorated <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="implementation"/> is <c>null</c>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not an interface.</exception>
    /// <example><code>
    /// IDocumentSearch search = PandaProbeProxy.Create&lt;IDocumentSearch&gt;(new DocumentSearch());
    /// using (Probe.StartTrace("answer"))
    /// {
    ///     var hits = await search.SearchAsync("what is PandaProbe?", top: 3);   // a RETRIEVER span of "answer"
    /// }
    /// </code></example>
    public static T Create<T>(T implementation, PandaProbeClient? client = null) where T : class =>
        Create(implementation, client, forwardDispose: true);

    /// <summary>
    /// <see cref="Create{T}(T, PandaProbeClient?)"/>, where <paramref name="forwardDispose"/> <c>false</c> leaves the
    /// implementation's disposal to its owner (a container that disposes it itself).
    /// </summary>
    internal static T Create<T>(T implementation, PandaProbeClient? client, bool forwardDispose) where T : class
    {
        ArgumentNullException.ThrowIfNull(implementation);
        RequireInterface<T>("PandaProbeProxy.Create");
        var proxy = DispatchProxy.Create<T, TracingProxy>();
        ((TracingProxy)(object)proxy).Initialize(implementation, typeof(T), client, forwardDispose);
        return proxy;
    }

    /// <summary>Refuses, naming <paramref name="method"/>, a service type that is not an interface (only interfaces are decorated).</summary>
    internal static void RequireInterface<TService>(string method)
    {
        if (!typeof(TService).IsInterface)
            throw new ArgumentException(
                $"{method}<{typeof(TService).Name}>: '{typeof(TService).FullName}' is not an interface; only interfaces can be decorated.", "TService");
    }
}
