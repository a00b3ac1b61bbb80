using System.Net.Sockets;

namespace IpcContracts.Tests.Support;

/// <summary>
/// Two connected Unix stream sockets, for tests of one end of a socket transport with a raw peer at the other: the
/// connecting end and the accepted end. Disposing closes both (a socket a test handed to a connection may already be
/// closed) and removes the socket file.
/// </summary>
internal sealed class UnixSocketPair : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _path;

    private UnixSocketPair(Socket listener, string path, Socket connecting, Socket accepted) =>
        (_listener, _path, Connecting, Accepted) = (listener, path, connecting, accepted);

    /// <summary>The end that connected.</summary>
    public Socket Connecting { get; }

    /// <summary>The end the listener accepted.</summary>
    public Socket Accepted { get; }

    public static async Task<UnixSocketPair> CreateAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sp-{Guid.NewGuid():N}"[..16]);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var connecting = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await connecting.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new UnixSocketPair(listener, path, connecting, await listener.AcceptAsync());
    }

    public ValueTask DisposeAsync()
    {
        Connecting.Dispose();
        Accepted.Dispose();
        _listener.Dispose();
        File.Delete(_path);
        return default;
    }
}
