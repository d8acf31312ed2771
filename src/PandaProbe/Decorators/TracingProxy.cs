using System.Reflection;

namespace PandaProbe.Decorators;

/// <summary>
/// The <see cref="DispatchProxy"/> behind <see cref="PandaProbeProxy"/>: forwards each call to the implementation and
/// records it as its <see cref="MethodPlan"/> says. Not sealed, with a parameterless constructor: the runtime derives
/// the proxy type from it.
/// </summary>
internal class TracingProxy : DispatchProxy
{
    object target = null!;
    Type service = null!;
    PandaProbeClient? client;
    bool forwardDispose;

    internal void Initialize(object implementation, Type serviceType, PandaProbeClient? owner, bool forwardDisposal)
    {
        target = implementation;
        service = serviceType;
        client = owner;
        forwardDispose = forwardDisposal;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var plan = MethodPlan.For(service, targetMethod);
        if (plan.IsDispose && !forwardDispose) return plan.Shape == ReturnShape.ValueTask ? default(ValueTask) : null;
        if (!plan.Traced || !Invocation.IsActive(client)) return Forward(targetMethod, args);

        var call = new Invocation(plan, client, plan.Input(args));
        switch (plan.Shape)
        {
            case ReturnShape.Value:
            case ReturnShape.Void:
            {
                // The span ends before the call returns, so it may stay on the caller's ambient stack: ended scopes are skipped.
                call.Start();
                object? result;
                try { result = Forward(targetMethod, args); }
                catch (Exception e) when (call.Fail(e)) { throw; }
                call.Succeed(result, hasOutput: plan.Shape == ReturnShape.Value);
                return result;
            }
            case ReturnShape.Stream:
            {
                // The span is the enumeration's (TracedStream); a call that throws before returning a stream is one too.
                object? stream;
                try { stream = Forward(targetMethod, args); }
                catch (Exception e) when (call.StartAndFail(e)) { throw; }
                return stream is null ? null : plan.Adapter!(call, stream);
            }
            default:
            {
                // The span is current while the implementation starts (its awaits keep it), but not in the caller's
                // flow, where it would become the parent of the caller's next spans until the task completes.
                object? returned = null;
                Exception? thrown = null;
                Isolated(() =>
                {
                    call.Start();
                    try { returned = Forward(targetMethod, args); }
                    catch (Exception e) { thrown = e; }
                });
                if (thrown is not null)
                {
                    call.Fail(thrown);
                    Awaiting.Rethrow(thrown);
                }
                return plan.Shape switch
                {
                    _ when returned is null => Succeeded(call, null),
                    ReturnShape.Task => Awaiting.Task(call, (Task)returned),
                    ReturnShape.ValueTask => Awaiting.ValueTask(call, (ValueTask)returned),
                    _ => plan.Adapter!(call, returned),
                };
            }
        }
    }

    static object? Succeeded(Invocation call, object? returned)
    {
        call.Succeed(null, hasOutput: false);
        return returned;
    }

    /// <summary>Calls the implementation; its exceptions propagate as they were thrown (never wrapped).</summary>
    object? Forward(MethodInfo method, object?[]? args) =>
        method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);

    /// <summary>
    /// Runs <paramref name="body"/> in a copy of the current execution context, so the ambient scopes it pushes do not
    /// stay in the caller's flow.
    /// </summary>
    internal static void Isolated(Action body)
    {
        if (ExecutionContext.Capture() is not { } context)
        {
            body();
            return;
        }
        ExecutionContext.Run(context, static state => ((Action)state!)(), body);
    }
}
