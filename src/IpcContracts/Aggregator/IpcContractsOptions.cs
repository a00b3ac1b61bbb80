using IpcContracts.Transports;

namespace IpcContracts;

/// <summary>What <c>services.AddIpcContracts(...)</c> sets up: a local bus, optionally connected or listening.</summary>
public sealed class IpcContractsOptions
{
    /// <summary>The server the aggregator connects to (<see cref="Connect"/>), or null.</summary>
    public IpcEndpoint? ConnectTo { get; private set; }

    /// <summary>Where the aggregator listens (<see cref="Listen"/>), or null.</summary>
    public IpcEndpoint? ListenOn { get; private set; }

    /// <summary>Limits and timeouts.</summary>
    public IpcOptions Ipc { get; } = new();

    /// <summary>Makes the aggregator a client of the server at <paramref name="endpoint"/>.</summary>
    public IpcContractsOptions Connect(string endpoint)
    {
        EnsureUnset();
        ConnectTo = IpcEndpoint.Parse(endpoint);
        return this;
    }

    /// <summary>Makes the aggregator a server listening on <paramref name="endpoint"/>.</summary>
    public IpcContractsOptions Listen(string endpoint)
    {
        EnsureUnset();
        ListenOn = IpcEndpoint.Parse(endpoint);
        return this;
    }

    private void EnsureUnset()
    {
        if (ConnectTo is not null || ListenOn is not null)
            throw new IpcConfigurationException("An aggregator either connects to one endpoint or listens on one; call Connect or Listen once.");
    }
}
