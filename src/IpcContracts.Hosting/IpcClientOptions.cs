using IpcContracts.Transports;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>A hosted client connection (named options; the name is the client's name given to <c>AddClient</c>).</summary>
public sealed class IpcClientOptions
{
    /// <summary>The server to connect to.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Limits and timeouts of the connection; <see cref="IpcOptions.LoggerFactory"/> defaults to the host's.</summary>
    public IpcOptions Ipc { get; } = new();

    /// <summary>Connect while the host starts (a server that is not there fails the start). Default false: connect on first use.</summary>
    public bool ConnectOnStart { get; set; }

    /// <summary>Callback handler registrations (the server may call the client).</summary>
    internal List<Action<IpcEndpointBuilder, IServiceProvider>> Handlers { get; } = [];
}
