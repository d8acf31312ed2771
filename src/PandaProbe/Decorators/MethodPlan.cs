using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;

namespace PandaProbe.Decorators;

/// <summary>What a decorated call returns, which decides when its span ends and what its output is.</summary>
internal enum ReturnShape
{
    /// <summary>A value, recorded as the output when the call returns.</summary>
    Value,
    /// <summary><c>void</c>: no output.</summary>
    Void,
    /// <summary>A <see cref="Task"/>: the span ends when it completes; no output.</summary>
    Task,
    /// <summary>A <see cref="Task{TResult}"/>: the span ends when it completes, with its result.</summary>
    TaskOf,
    /// <summary>A <see cref="ValueTask"/>: as <see cref="Task"/>.</summary>
    ValueTask,
    /// <summary>A <see cref="ValueTask{TResult}"/>: as <see cref="TaskOf"/>.</summary>
    ValueTaskOf,
    /// <summary>An <see cref="IAsyncEnumerable{T}"/>: a span per enumeration, with the items enumerated.</summary>
    Stream,
}

/// <summary>
/// How the calls of one interface method are recorded, read once from its signature and its
/// <see cref="PandaProbeSpanAttribute"/> (and the interface's) and cached.
/// </summary>
internal sealed class MethodPlan
{
    static readonly ConcurrentDictionary<(Type Service, MethodInfo Method), MethodPlan> Plans = new();

    readonly string[] parameterNames;
    readonly bool[] captured;

    MethodPlan(Type service, MethodInfo method)
    {
        var declaring = method.DeclaringType;
        IsDispose = declaring == typeof(IDisposable) || declaring == typeof(IAsyncDisposable);
        var onMethod = method.GetCustomAttribute<PandaProbeSpanAttribute>(inherit: false);
        var onInterface = declaring?.GetCustomAttribute<PandaProbeSpanAttribute>(inherit: false)
            ?? service.GetCustomAttribute<PandaProbeSpanAttribute>(inherit: false);
        // Accessors are plumbing, not steps: traced only when the accessor itself carries the attribute.
        Traced = !IsDispose && (!method.IsSpecialName || onMethod is not null);
        Name = string.IsNullOrWhiteSpace(onMethod?.Name) ? method.Name : onMethod.Name!;
        Kind = onMethod?.KindIfSet ?? onInterface?.KindIfSet ?? SpanType.Other;
        CaptureInput = onMethod?.CaptureInputIfSet ?? onInterface?.CaptureInputIfSet ?? true;
        CaptureOutput = onMethod?.CaptureOutputIfSet ?? onInterface?.CaptureOutputIfSet ?? true;

        var parameters = method.GetParameters();
        parameterNames = new string[parameters.Length];
        captured = new bool[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            parameterNames[i] = string.IsNullOrEmpty(p.Name) ? $"arg{i}" : p.Name;
            var type = p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType;
            captured[i] = !p.IsOut && type != typeof(CancellationToken) && type != typeof(CancellationToken?);
        }

        (Shape, Adapter) = Classify(method.ReturnType);
    }

    /// <summary>The plan of <paramref name="method"/> called through a proxy of <paramref name="service"/>.</summary>
    public static MethodPlan For(Type service, MethodInfo method) =>
        Plans.TryGetValue((service, method), out var plan) ? plan : Plans.GetOrAdd((service, method), key => new MethodPlan(key.Service, key.Method));

    /// <summary>The span's (and an own trace's) name.</summary>
    public string Name { get; }

    /// <summary>The span's kind.</summary>
    public SpanType Kind { get; }

    /// <summary>Whether the arguments are recorded.</summary>
    public bool CaptureInput { get; }

    /// <summary>Whether the result is recorded.</summary>
    public bool CaptureOutput { get; }

    /// <summary>Whether calls become spans (not for disposal, nor for accessors without the attribute).</summary>
    public bool Traced { get; }

    /// <summary>Whether this is <see cref="IDisposable.Dispose"/> or <see cref="IAsyncDisposable.DisposeAsync"/>.</summary>
    public bool IsDispose { get; }

    /// <summary>What the method returns.</summary>
    public ReturnShape Shape { get; }

    /// <summary>
    /// For the generic shapes, wraps what the implementation returned (a <see cref="Task{TResult}"/>, a
    /// <see cref="ValueTask{TResult}"/> or an <see cref="IAsyncEnumerable{T}"/>) so that the call is recorded when it
    /// completes; returns the object handed to the caller.
    /// </summary>
    public Func<Invocation, object, object>? Adapter { get; }

    /// <summary>The input of a call: the captured arguments by parameter name, or <c>null</c> when not captured.</summary>
    public Dictionary<string, object?>? Input(object?[]? args)
    {
        if (!CaptureInput) return null;
        var input = new Dictionary<string, object?>(parameterNames.Length);
        for (var i = 0; i < parameterNames.Length; i++)
            if (captured[i]) input[parameterNames[i]] = Capturable(args is not null && i < args.Length ? args[i] : null);
        return input;
    }

    /// <summary>
    /// A value as it may be captured: a lazy sequence (an <see cref="IEnumerable"/> that is not a collection or a
    /// string) is replaced by a description, since serializing it would enumerate it before (or after) its consumer.
    /// </summary>
    public static object? Capturable(object? value) =>
        value is IEnumerable and not (string or ICollection or IDictionary) && !IsCollection(value.GetType())
            ? $"(lazy sequence {value.GetType().Name}, not enumerated)"
            : value;

    static readonly ConcurrentDictionary<Type, bool> Collections = new();

    static bool IsCollection(Type type) =>
        Collections.GetOrAdd(type, static t => t.GetInterfaces().Any(i => i.IsGenericType &&
            (i.GetGenericTypeDefinition() == typeof(IReadOnlyCollection<>) || i.GetGenericTypeDefinition() == typeof(ICollection<>))));

    static (ReturnShape, Func<Invocation, object, object>?) Classify(Type returns)
    {
        if (returns == typeof(void)) return (ReturnShape.Void, null);
        if (returns == typeof(Task)) return (ReturnShape.Task, null);
        if (returns == typeof(ValueTask)) return (ReturnShape.ValueTask, null);
        if (returns.IsGenericType)
        {
            var definition = returns.GetGenericTypeDefinition();
            var argument = returns.GetGenericArguments()[0];
            if (definition == typeof(Task<>)) return (ReturnShape.TaskOf, Adapt(nameof(Awaiting.TaskOf), argument));
            if (definition == typeof(ValueTask<>)) return (ReturnShape.ValueTaskOf, Adapt(nameof(Awaiting.ValueTaskOf), argument));
            if (definition == typeof(IAsyncEnumerable<>)) return (ReturnShape.Stream, Adapt(nameof(Awaiting.Stream), argument));
        }
        return (ReturnShape.Value, null);
    }

    static Func<Invocation, object, object> Adapt(string name, Type argument) =>
        typeof(Awaiting).GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!
            .MakeGenericMethod(argument)
            .CreateDelegate<Func<Invocation, object, object>>();
}
