using Xunit;

namespace PandaProbe.Integration.Support;

/// <summary>A test class with its own fake platform: started before each test, stopped after it.</summary>
public abstract class PlatformTest : IAsyncLifetime
{
    /// <summary>The stand-in platform of the current test.</summary>
    protected FakePlatform platform = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => platform = await FakePlatform.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await platform.DisposeAsync();
}
