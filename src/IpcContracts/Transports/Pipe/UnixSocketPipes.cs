using System.Net.Sockets;
using System.Runtime.Versioning;
using IpcContracts.Transports.Streams;

namespace IpcContracts.Transports.Pipe;

/// <summary>
/// <c>pipe://NAME</c> on Linux and macOS: a Unix domain socket, file mode 0600, the peer's user checked before any byte
/// is read (<see cref="PeerCredentials"/>). NAME without a slash lives in a per-user directory; a NAME with a slash is
/// used as the socket path.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class UnixSocketPipes : PipePlatform
{
    /// <summary>The socket file path an endpoint maps to.</summary>
    internal static string GetSocketPath(IpcEndpoint endpoint)
    {
        var name = endpoint.Address;
        if (name.Contains('/')) return name;
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new IpcConfigurationException($"'{name}' is not a valid pipe name.");
        return Path.Combine(SocketDirectory, name + ".sock");
    }

    /// <summary>
    /// Directory holding sockets for names without a slash: owner-only, one per user. <c>$XDG_RUNTIME_DIR</c> when set
    /// and not empty, else the temp directory (<c>$TMPDIR</c>, else <c>/tmp</c>), then <c>ipccontracts-USER</c>: USER is the
    /// effective user's name from the password database, or its decimal user ID when it has no entry there (the
    /// name would be empty, and every such user would share one directory).
    /// </summary>
    internal static string SocketDirectory
    {
        get
        {
            var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            var root = string.IsNullOrEmpty(runtimeDir) ? Path.GetTempPath() : runtimeDir;
            var user = Environment.UserName;
            if (string.IsNullOrEmpty(user) && PeerCredentials.CurrentUserId is { } uid) user = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Path.Combine(root, $"ipccontracts-{user}");
        }
    }

    /// <inheritdoc />
    public override async ValueTask<IIpcListener> ListenAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var socket = await ListenSocketAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var path = GetSocketPath(endpoint);
        return new EstablishingListener<Socket>(socket.AcceptAsync, socket, endpoint, options,
            (client, _) =>
            {
                PeerCredentials.Check(client, options, "client");
                return Task.FromResult<ITransportConnection>(new SocketTransportConnection(client, $"{endpoint} (client)", LargeWriteSendBuffer,
                    DedicatedReader.For(options)));
            },
            onDispose: () => BestEffortFile.TryDelete(path));
    }

    /// <inheritdoc />
    public override async ValueTask<ITransportConnection> ConnectAsync(IpcEndpoint endpoint, IpcOptions options, CancellationToken cancellationToken)
    {
        var reader = DedicatedReader.For(options);
        try
        {
            var socket = await ConnectSocketAsync(endpoint, options, blockingConnect: reader is not null, cancellationToken).ConfigureAwait(false);
            return new SocketTransportConnection(socket, endpoint.ToString(), LargeWriteSendBuffer, reader);
        }
        catch
        {
            reader?.Release();
            throw;
        }
    }

    /// <summary>
    /// A Unix stream socket's bytes in flight are bounded by the sender's send buffer (about 208 KiB by default). Each time
    /// it fills, the sending side waits for the reader and is woken through the sockets' event thread and the thread
    /// pool: some 120 such hand-offs per 24 MiB, each of which waits for a time slice on a busy machine (24 MiB took 76-108
    /// ms under two spinners against the raw stream's 12). While large writes go out the buffer is raised to this (the
    /// kernel caps it at net.core.wmem_max); the next small write lowers it again, because a full small buffer is also
    /// what batches small frames written back to back into one send (events/s fell to a fifth with a large buffer kept).
    /// </summary>
    private const int LargeWriteSendBuffer = 4 * 1024 * 1024;

    /// <inheritdoc />
    public override async ValueTask<IIpcListener> ListenControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        Func<Stream, string, CancellationToken, Task<ITransportConnection>> establish, CancellationToken cancellationToken)
    {
        var socket = await ListenSocketAsync(endpoint, cancellationToken, reportAs).ConfigureAwait(false);
        var path = GetSocketPath(endpoint);
        return new EstablishingListener<Socket>(socket.AcceptAsync, socket, reportAs, options,
            (client, ct) =>
            {
                PeerCredentials.Check(client, options, "client");
                return establish(new ControlSocketStream(client), $"{reportAs} (client)", ct);
            },
            onDispose: () => BestEffortFile.TryDelete(path));
    }

    /// <inheritdoc />
    public override async ValueTask<(Stream Control, string Peer)> ConnectControlAsync(IpcEndpoint endpoint, IpcEndpoint reportAs, IpcOptions options,
        CancellationToken cancellationToken) =>
        (new ControlSocketStream(await ConnectSocketAsync(endpoint, options, blockingConnect: false, cancellationToken, reportAs).ConfigureAwait(false)), reportAs.ToString());

    /// <summary>True for a NAME without a slash, whose socket lives in <see cref="SocketDirectory"/>; a full path is the caller's choice.</summary>
    private static bool InSocketDirectory(IpcEndpoint endpoint) => !endpoint.Address.Contains('/');

    /// <summary>
    /// A listening Unix socket at the endpoint's path (owner-only), replacing a stale file left by a dead server. Errors name
    /// <paramref name="reportAs"/> when given: the endpoint the user asked for, of which this socket is a part.
    /// </summary>
    private static async ValueTask<Socket> ListenSocketAsync(IpcEndpoint endpoint, CancellationToken cancellationToken, IpcEndpoint? reportAs = null)
    {
        var shown = reportAs ?? endpoint;
        var path = GetSocketPath(endpoint);
        var address = SocketEndPoint(path, shown); // a path too long is refused before anything is created
        var dir = Path.GetDirectoryName(path);
        // The per-user directory is checked before and after creating it: another user may have made it first,
        // even in between (CreateDirectory succeeds quietly on an existing directory).
        var perUser = InSocketDirectory(endpoint);
        if (!string.IsNullOrEmpty(dir) && !(perUser ? SocketDirectoryCheck.EnsureSafe(dir) : Directory.Exists(dir)))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (perUser) SocketDirectoryCheck.EnsureSafe(dir);
        }
        if (File.Exists(path))
            await RemoveStaleSocketAsync(shown, path, cancellationToken).ConfigureAwait(false);

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(address);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Another server bound the path between our stale-file check and our bind.
            socket.Dispose();
            throw new EndpointInUseException(shown.ToString(), path, e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IpcException($"Cannot listen on {shown} ({path}): {e.Message}", e);
        }
        return socket;
    }

    /// <summary>
    /// A socket connected to the endpoint, or <see cref="NoServerListeningException"/> at once. Errors name
    /// <paramref name="reportAs"/> when given: the endpoint the user asked for, of which this socket is a part.
    /// </summary>
    private static async ValueTask<Socket> ConnectSocketAsync(IpcEndpoint endpoint, IpcOptions options, bool blockingConnect,
        CancellationToken cancellationToken, IpcEndpoint? reportAs = null)
    {
        var path = GetSocketPath(endpoint);
        // A client does not trust a socket name in a directory another user could have filled either. A directory that
        // does not exist yet means no server of this user has ever listened here.
        if (InSocketDirectory(endpoint) && !SocketDirectoryCheck.EnsureSafe(SocketDirectory))
            throw new NoServerListeningException((reportAs ?? endpoint).ToString());
        return await SocketConnector.ConnectAsync(reportAs ?? endpoint, options,
            () => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), SocketEndPoint(path, reportAs ?? endpoint),
            (socket, _) =>
            {
                PeerCredentials.Check(socket, options, "server");
                return Task.CompletedTask;
            },
            blockingConnect, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The address of the socket at <paramref name="path"/>, or a clear error when the path is longer than a Unix socket
    /// address holds (104 bytes on macOS, whose per-user temp directory alone is about 50; 108 on Linux).
    /// </summary>
    private static UnixDomainSocketEndPoint SocketEndPoint(string path, IpcEndpoint shown)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new IpcConfigurationException(
                $"{shown}: the socket path {path} ({System.Text.Encoding.UTF8.GetByteCount(path)} bytes) is longer than a Unix socket address " +
                "holds on this system (104 bytes on macOS, 108 on Linux). Use a shorter NAME, point XDG_RUNTIME_DIR at a shorter directory, " +
                "or name the socket by a short full path (pipe:///tmp/name.sock).", e);
        }
    }

    private static async Task RemoveStaleSocketAsync(IpcEndpoint endpoint, string path, CancellationToken cancellationToken)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await probe.ConnectAsync(SocketEndPoint(path, endpoint), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // Nobody answers: a previous server died without removing its socket file.
            File.Delete(path);
            return;
        }
        throw new EndpointInUseException(endpoint.ToString(), path);
    }
}
