using System.IO.Pipes;
using System.Runtime.Versioning;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// <c>pipe://NAME</c> on Windows: the named pipe <c>\\.\pipe\NAME</c> (<see cref="WindowsPipeName"/>), byte mode,
/// overlapped I/O, owner-only. The server keeps one instance waiting at all times (the first one created with
/// FILE_FLAG_FIRST_PIPE_INSTANCE, so a name another server holds is <see cref="EndpointInUseException"/>), each
/// accepted instance is one connection. Peer checks (docs/security.md): <see cref="PipeOptions.CurrentUserOnly"/> on the
/// server gives the pipe a DACL that admits only this user, so Windows refuses other users' clients at open; on the
/// client it makes .NET check the pipe's owner is this user, so a pipe another user created first is refused
/// (<see cref="IpcAuthenticationException"/>). Each side also asks Windows for the other's process ID and refuses a
/// peer it cannot name; the ID is part of the connection's peer description.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsNamedPipes : PipePlatform
{
    private const PipeOptions Options = PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly;

    /// <inheritdoc />
    public override ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken) =>
        new(Listen(endpoint, endpoint, options,
            (pipe, peer, _) => Task.FromResult<ITransportConnection>(new StreamTransportConnection(pipe, peer))));

    /// <inheritdoc />
    public override async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var (pipe, pid) = await ConnectPipeAsync(endpoint, endpoint, options, cancellationToken).ConfigureAwait(false);
        return new StreamTransportConnection(pipe, $"{endpoint} (server process {pid})");
    }

    /// <inheritdoc />
    public override ValueTask<IIpcListener> ListenControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        Func<Stream, string, CancellationToken, Task<ITransportConnection>> establish, CancellationToken cancellationToken) =>
        new(Listen(endpoint, reportAs, options, (pipe, peer, ct) => establish(pipe, peer, ct)));

    /// <inheritdoc />
    public override async ValueTask<(Stream Control, string Peer)> ConnectControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        CancellationToken cancellationToken)
    {
        var (pipe, pid) = await ConnectPipeAsync(endpoint, reportAs, options, cancellationToken).ConfigureAwait(false);
        return (pipe, $"{reportAs} (server process {pid})");
    }

    private static EstablishingListener<NamedPipeServerStream> Listen(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        Func<NamedPipeServerStream, string, CancellationToken, Task<ITransportConnection>> establish)
    {
        var name = WindowsPipeName.Get(endpoint, reportAs);
        RefuseUnixUserOptions(options, reportAs);
        var instances = new Instances(name, reportAs);
        return new EstablishingListener<NamedPipeServerStream>(instances.AcceptAsync, instances, reportAs, options,
            (pipe, ct) =>
            {
                var pid = NamedPipeInterop.ClientProcessId(pipe, reportAs.ToString());
                return establish(pipe, $"{reportAs} (client process {pid})", ct);
            });
    }

    private static async ValueTask<(NamedPipeClientStream Pipe, uint ProcessId)> ConnectPipeAsync(IpcEndpoint endpoint, IpcEndpoint reportAs,
        IpcOptions options, CancellationToken cancellationToken)
    {
        var name = WindowsPipeName.Get(endpoint, reportAs);
        RefuseUnixUserOptions(options, reportAs);
        if (!NamedPipeInterop.Exists(name)) throw new NoServerListeningException(reportAs.ToString());
        var pipe = new NamedPipeClientStream(".", name, PipeDirection.InOut, Options);
        try
        {
            // Waits only while every instance is busy (the server makes the next one right after each accept).
            var timeoutMs = (int)Math.Clamp(options.ConnectTimeout.TotalMilliseconds, 1, int.MaxValue);
            await pipe.ConnectAsync(timeoutMs, cancellationToken).ConfigureAwait(false);
            return (pipe, NamedPipeInterop.ServerProcessId(pipe, reportAs.ToString()));
        }
        catch (TimeoutException e)
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            // The server went away while we waited for a free instance.
            if (!NamedPipeInterop.Exists(name)) throw new NoServerListeningException(reportAs.ToString(), inner: e);
            throw new ChannelFaultedException($"Connecting to {reportAs} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch (UnauthorizedAccessException e)
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw new IpcAuthenticationException(
                $"{reportAs}: the pipe {WindowsPipeName.Prefix}{name} is not this user's (another user's server holds the name, or refuses this user): {e.Message}");
        }
        catch
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// User IDs are Unix; on Windows only this user is admitted (<see cref="PipeOptions.CurrentUserOnly"/>). Asking for more
    /// is refused instead of silently ignored, so nobody believes another account is let in (or kept out) when it is not.
    /// </summary>
    private static void RefuseUnixUserOptions(IpcOptions options, IpcEndpoint endpoint)
    {
        if (options.AllowAnyLocalUser || options.AllowedPeerUserIds.Count > 0)
            throw new IpcConfigurationException(
                $"{endpoint}: IpcOptions.AllowAnyLocalUser and IpcOptions.AllowedPeerUserIds are Unix user checks; on Windows pipe:// and shm:// " +
                "admit only the current user. Leave them unset, or use tcp:// with IpcOptions.Tcp.SharedSecret between users.");
    }

    /// <summary>The server's pipe instances: always one waiting for the next client.</summary>
    private sealed class Instances : IDisposable
    {
        private readonly string _name;
        private readonly object _gate = new();
        private NamedPipeServerStream? _waiting;
        private bool _disposed;

        public Instances(string name, IpcEndpoint reportAs)
        {
            _name = name;
            // FIRST_PIPE_INSTANCE makes creating fail when the name exists already, whoever holds it. Wine 8 ignores that
            // flag, so the name is probed first as well (racy alone; with the flag, Windows closes the race).
            if (NamedPipeInterop.Exists(name)) throw InUse(reportAs, null);
            try
            {
                _waiting = Create(PipeOptions.FirstPipeInstance);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw InUse(reportAs, e);
            }
        }

        private EndpointInUseException InUse(IpcEndpoint reportAs, Exception? inner) =>
            new(reportAs.ToString(), $"{WindowsPipeName.Prefix}{_name} exists", inner);

        private NamedPipeServerStream Create(PipeOptions extra) =>
            new(_name, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances, PipeTransmissionMode.Byte, Options | extra);

        public async ValueTask<NamedPipeServerStream> AcceptAsync(CancellationToken cancellationToken)
        {
            NamedPipeServerStream instance;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                instance = _waiting ??= Create(PipeOptions.None);
            }
            try
            {
                await instance.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // A client that came and went before we saw it breaks only this instance.
                lock (_gate) _waiting = null;
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            lock (_gate)
            {
                _waiting = null;
                // The next instance before this one is handed over, so the name never disappears and clients rarely wait.
                if (!_disposed)
                {
                    try { _waiting = Create(PipeOptions.None); }
                    catch (IOException) { } // retried at the next accept
                }
            }
            return instance;
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _waiting?.Dispose();
                _waiting = null;
            }
        }
    }
}
