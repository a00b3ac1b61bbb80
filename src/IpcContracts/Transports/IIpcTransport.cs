namespace IpcContracts.Transports;

/// <summary>
/// A way to move bytes between processes. The core speaks frames over an <see cref="System.IO.Pipelines.IDuplexPipe"/>;
/// a transport only has to listen, connect and hand over the pipe pair.
/// </summary>
public interface IIpcTransport
{
    /// <summary>URI scheme this transport serves (<c>pipe</c>, <c>tcp</c>, <c>shm</c>, <c>inproc</c>).</summary>
    string Scheme { get; }

    /// <summary>Starts listening on <paramref name="endpoint"/>.</summary>
    ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Opens one duplex connection to a listener. When nothing listens at <paramref name="endpoint"/>, throws
    /// <see cref="NoServerListeningException"/> naming <paramref name="endpoint"/> at once, without retrying: waiting for a
    /// server is <see cref="IpcClient"/>'s (<see cref="IpcOptions.WaitForServer"/>).
    /// </summary>
    ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);
}
