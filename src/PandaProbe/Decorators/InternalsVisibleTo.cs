using System.Runtime.CompilerServices;

// The hosting package registers decorated services with proxies whose implementation the container disposes itself
// (PandaProbeProxy.Create's internal overload); the packages ship at exactly matching versions.
[assembly: InternalsVisibleTo("PandaProbe.Extensions.Hosting")]
