using FsCheck;

namespace PandaProbe.Properties.ReferenceSystems;

/// <summary>The FsCheck configuration of the reference-system properties: throws on failure, 200 tests, quiet.</summary>
static class ReferencePropertyConfig
{
    public static readonly Config Default = Config.QuickThrowOnFailure.WithMaxTest(200).WithQuietOnSuccess(true);
}
