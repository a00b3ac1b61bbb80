namespace IpcContracts.Transports.Pipe;

/// <summary>
/// The one place where <c>pipe://</c> differs per operating system, chosen once per process: Unix domain sockets on
/// Linux and macOS (<see cref="UnixSocketPipes"/>), Windows named pipes on Windows (<see cref="WindowsNamedPipes"/>).
/// Besides <c>pipe://</c> connections it provides the control channel of <c>shm://</c> (<c>pipe://NAME.shm</c>): a
/// peer-checked byte stream whose end tells each side that the other process is gone.
/// </summary>
internal abstract class PipePlatform
{
    /// <summary>This operating system's implementation.</summary>
    public static PipePlatform Current { get; } = OperatingSystem.IsWindows() ? new WindowsNamedPipes() : new UnixSocketPipes();

    /// <summary>Listens for <c>pipe://</c> connections at <paramref name="endpoint"/>.</summary>
    public abstract ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);

    /// <summary>Connects to a <c>pipe://</c> listener; <see cref="NoServerListeningException"/> at once when none is there.</summary>
    public abstract ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Listens at the pipe <paramref name="endpoint"/> for control channels; each accepted one has passed the peer check and
    /// is handed to <paramref name="establish"/> with a description of the peer (within the handshake timeout). Errors name
    /// <paramref name="reportAs"/>, the endpoint the user asked for.
    /// </summary>
    public abstract ValueTask<IIpcListener> ListenControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        Func<Stream, string, CancellationToken, Task<ITransportConnection>> establish, CancellationToken cancellationToken);

    /// <summary>
    /// A peer-checked control channel to the pipe <paramref name="endpoint"/> and a description of the server for logs and
    /// errors, or <see cref="NoServerListeningException"/> naming <paramref name="reportAs"/>.
    /// </summary>
    public abstract ValueTask<(Stream Control, string Peer)> ConnectControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options, CancellationToken cancellationToken);
}
