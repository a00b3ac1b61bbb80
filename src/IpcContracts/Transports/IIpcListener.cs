namespace IpcContracts.Transports;

/// <summary>Accepts transport connections.</summary>
public interface IIpcListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (e.g. with the port chosen for port 0).</summary>
    IpcEndpoint Endpoint { get; }

    /// <summary>Waits for the next connection. Throws <see cref="OperationCanceledException"/> when cancelled or disposed.</summary>
    ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken);
}
