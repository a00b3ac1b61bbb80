namespace IpcContracts.Transports.Pipe;

/// <summary>
/// <c>pipe://NAME</c>: the operating system's local byte stream, owner-only by default. On Linux and macOS a Unix domain
/// socket (NAME without a slash lives in a per-user directory, a NAME with a slash is the socket path); on Windows the
/// named pipe <c>\\.\pipe\NAME</c>. The same endpoint string works on every OS for a plain NAME. docs/protocol.md section 8.2
/// says exactly where each lives; docs/security.md what is checked.
/// </summary>
public sealed class PipeTransport : IIpcTransport
{
    /// <inheritdoc />
    public string Scheme => "pipe";

    /// <inheritdoc />
    public ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken) =>
        PipePlatform.Current.ListenAsync(endpoint, options, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken) =>
        PipePlatform.Current.ConnectAsync(endpoint, options, cancellationToken);
}
