using IpcContracts.Transports;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>Names of the servers and clients registered with the builder.</summary>
internal sealed class IpcHostingRegistry
{
    public HashSet<string> Servers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Clients { get; } = new(StringComparer.Ordinal);

    /// <summary>Set by <see cref="IpcHostingExtensions.StartWithHost"/>: the aggregator starts with the host, connecting ones too.</summary>
    public bool StartAggregator { get; set; }
}
