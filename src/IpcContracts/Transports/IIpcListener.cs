namespace IpcContracts.Transports;

/// <summary>Accepts transport connections.</summary>
public interface IIpcListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (e.g. with the port chosen for port 0).</summary>
    IpcEndpoint Endpoint { get; }

    /// <summary>Waits for the next connection. Throws <see cref="OperationCanceledException"/> when cancelled or disposed.</summary>
    ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes when requests sent to <see cref="Endpoint"/> reach this server. A byte-stream listener is ready once
    /// it is bound (the default: completed at once). A broker listener is not: requests reach it only once its
    /// connection to the broker has completed the handshake and subscribed, which happens after the first
    /// <see cref="AcceptAsync"/>; <see cref="IpcServer.StartAsync(string, Action{IpcEndpointBuilder}?, IpcOptions?, CancellationToken)"/>
    /// waits for it (bounded by <see cref="IpcOptions.HandshakeTimeout"/>), so a client that connects after start is served.
    /// </summary>
    ValueTask WhenServingAsync(CancellationToken cancellationToken) => default;
}
