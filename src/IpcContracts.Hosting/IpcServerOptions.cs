using IpcContracts.Transports;
using Microsoft.Extensions.Options;

namespace IpcContracts.Hosting;

/// <summary>A hosted server (named options; the name is the server's name given to <c>AddServer</c>).</summary>
public sealed class IpcServerOptions
{
    /// <summary>Where to listen: <c>pipe://NAME</c>, <c>tcp://HOST:PORT</c>, <c>shm://NAME</c>, or <c>nats://HOST:PORT[/PREFIX]</c> once <c>NatsTransport.Register()</c> has run (package IpcContracts.Nats).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Limits and timeouts of the server; <see cref="IpcOptions.LoggerFactory"/> defaults to the host's.</summary>
    public IpcOptions Ipc { get; } = new();

    /// <summary>
    /// Longest wait on shutdown for calls in flight to finish (new calls are refused meanwhile); the host's own
    /// shutdown timeout also bounds it. Calls still running then are cancelled. Default 10 s.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Handler registrations, applied when the server starts.</summary>
    internal List<Action<IpcEndpointBuilder, IServiceProvider>> Handlers { get; } = [];
}
