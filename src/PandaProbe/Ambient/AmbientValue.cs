namespace PandaProbe.Ambient;

/// <summary>An ambient string (session id, user id) for the current async flow, set through restoring scopes.</summary>
internal sealed class AmbientValue
{
    readonly AsyncLocal<string?> slot = new();

    /// <summary>The current flow's value.</summary>
    public string? Value { get => slot.Value; set => slot.Value = value; }

    /// <summary>Sets the value and returns a scope that puts the previous value back when disposed (once).</summary>
    public IDisposable Push(string? value)
    {
        var bookmark = slot.Value;
        slot.Value = value;
        return new Restore(this, bookmark);
    }

    sealed class Restore(AmbientValue owner, string? bookmark) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.slot.Value = bookmark;
        }
    }

    /// <summary>The ambient session id.</summary>
    public static readonly AmbientValue Session = new();

    /// <summary>The ambient user id.</summary>
    public static readonly AmbientValue User = new();
}
