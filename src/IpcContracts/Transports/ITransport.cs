using System.IO.Pipelines;

namespace IpcContracts.Transports;

/// <summary>
/// A way to move bytes between processes. The core speaks frames over an <see cref="IDuplexPipe"/>;
/// a transport only has to listen, connect and hand over the pipe pair.
/// </summary>
public interface IIpcTransport
{
    /// <summary>URI scheme this transport serves (<c>pipe</c>, <c>tcp</c>, <c>shm</c>, <c>inproc</c>).</summary>
    string Scheme { get; }

    /// <summary>Starts listening on <paramref name="endpoint"/>.</summary>
    ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);

    /// <summary>Opens one duplex connection to a listener.</summary>
    ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);
}

/// <summary>Accepts transport connections.</summary>
public interface IIpcListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (e.g. with the port chosen for port 0).</summary>
    IpcEndpoint Endpoint { get; }

    /// <summary>Waits for the next connection. Throws <see cref="OperationCanceledException"/> when cancelled or disposed.</summary>
    ValueTask<ITransportConnection> AcceptAsync(CancellationToken cancellationToken);
}

/// <summary>One duplex byte stream between two processes.</summary>
public interface ITransportConnection : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Human-readable description of the peer, for logs and errors.</summary>
    string PeerDescription { get; }
}
