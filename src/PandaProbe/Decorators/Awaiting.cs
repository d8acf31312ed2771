using System.Runtime.ExceptionServices;

namespace PandaProbe.Decorators;

/// <summary>
/// Records a call when what it returned completes. A task that has already completed is handed back as it is;
/// otherwise the caller gets a task that completes, exactly as the implementation's did (its result, all its
/// exceptions, or its cancellation), right after the call has been recorded, so the span has ended when the caller's
/// <c>await</c> resumes.
/// </summary>
internal static class Awaiting
{
    /// <summary>A <see cref="Task"/>: recorded when it completes, without output.</summary>
    public static Task Task(Invocation call, Task task)
    {
        if (task.IsCompleted)
        {
            Record(call, task, null, hasOutput: false);
            return task;
        }
        var mirror = new TaskCompletionSource();
        task.ContinueWith(static (t, state) =>
        {
            var (call, mirror) = ((Invocation, TaskCompletionSource))state!;
            var cancelled = Record(call, t, null, hasOutput: false);
            if (t.IsCompletedSuccessfully) mirror.TrySetResult();
            else if (t.IsFaulted) mirror.TrySetException(t.Exception!.InnerExceptions);
            else mirror.TrySetCanceled(cancelled!.CancellationToken);
        }, (call, mirror), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return mirror.Task;
    }

    /// <summary>A <see cref="Task{TResult}"/>: recorded with its result when it completes.</summary>
    public static object TaskOf<TResult>(Invocation call, object returned) => Observe(call, (Task<TResult>)returned);

    /// <summary>A <see cref="ValueTask"/>: recorded when it completes, without output.</summary>
    public static ValueTask ValueTask(Invocation call, ValueTask returned)
    {
        if (!returned.IsCompletedSuccessfully) return new ValueTask(Task(call, returned.AsTask()));
        returned.GetAwaiter().GetResult();   // releases a pooled source
        call.Succeed(null, hasOutput: false);
        return default;
    }

    /// <summary>A <see cref="ValueTask{TResult}"/>: recorded with its result when it completes.</summary>
    public static object ValueTaskOf<TResult>(Invocation call, object returned)
    {
        var task = (ValueTask<TResult>)returned;
        if (!task.IsCompletedSuccessfully) return new ValueTask<TResult>(Observe(call, task.AsTask()));
        var result = task.Result;
        call.Succeed(result, hasOutput: true);
        return new ValueTask<TResult>(result);
    }

    /// <summary>An <see cref="IAsyncEnumerable{T}"/>: each enumeration recorded as it goes.</summary>
    public static object Stream<TItem>(Invocation call, object returned) => new TracedStream<TItem>((IAsyncEnumerable<TItem>)returned, call);

    static Task<TResult> Observe<TResult>(Invocation call, Task<TResult> task)
    {
        if (task.IsCompleted)
        {
            Record(call, task, task.IsCompletedSuccessfully ? task.Result : default, hasOutput: true);
            return task;
        }
        var mirror = new TaskCompletionSource<TResult>();
        task.ContinueWith(static (t, state) =>
        {
            var (call, mirror) = ((Invocation, TaskCompletionSource<TResult>))state!;
            var completed = (Task<TResult>)t;
            var cancelled = Record(call, completed, completed.IsCompletedSuccessfully ? completed.Result : default, hasOutput: true);
            if (completed.IsCompletedSuccessfully) mirror.TrySetResult(completed.Result);
            else if (completed.IsFaulted) mirror.TrySetException(completed.Exception!.InnerExceptions);
            else mirror.TrySetCanceled(cancelled!.CancellationToken);
        }, (call, mirror), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return mirror.Task;
    }

    /// <summary>
    /// Records a completed task: its result, its first exception (what <c>await</c> throws) or its cancellation;
    /// returns the cancellation's exception for a cancelled task.
    /// </summary>
    static OperationCanceledException? Record(Invocation call, Task completed, object? result, bool hasOutput)
    {
        if (completed.IsCompletedSuccessfully) call.Succeed(result, hasOutput);
        else if (completed.IsFaulted) call.Fail(completed.Exception!.InnerExceptions[0]);
        else
        {
            var cancelled = CancellationException(completed);
            call.Fail(cancelled);
            return cancelled;
        }
        return null;
    }

    /// <summary>The exception <c>await</c> throws for a cancelled task.</summary>
    static OperationCanceledException CancellationException(Task cancelled)
    {
        try
        {
            cancelled.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException e)
        {
            return e;
        }
        catch (Exception)
        {
        }
        return new TaskCanceledException(cancelled);
    }

    /// <summary>Rethrows <paramref name="exception"/> with its original stack trace.</summary>
    public static void Rethrow(Exception exception) => ExceptionDispatchInfo.Throw(exception);
}
