namespace PandaProbe.Model;

/// <summary>Small bridges from LanguageExt options to C# control flow.</summary>
internal static class OptionExtensions
{
    /// <summary>The <c>TryGet</c> pattern over an option: <c>true</c> and the value when it is Some.</summary>
    public static bool TryGet<T>(this Option<T> option, out T value)
    {
        var (some, v) = option.Match(x => (true, x), () => (false, default(T)!));
        value = v;
        return some;
    }

    /// <summary>The value, or <c>null</c> when None (for reference types).</summary>
    public static T? ToNullable<T>(this Option<T> option) where T : class =>
        option.MatchUnsafe(x => x, () => (T?)null);

    /// <summary>The value, or <c>null</c> when None (for value types).</summary>
    public static T? ToNullableValue<T>(this Option<T> option) where T : struct =>
        option.MatchUnsafe(x => (T?)x, () => null);
}
