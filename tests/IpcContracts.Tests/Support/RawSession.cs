using IpcContracts.Protocol;

namespace IpcContracts.Tests.Support;

/// <summary>
/// A server and a raw peer past the handshake (Hello both ways): the server's side of the connection and the reason it
/// ends with, for tests that then send the server something no well-behaved client would.
/// </summary>
internal sealed class RawSession : IAsyncDisposable
{
    private readonly TaskCompletionSource<ChannelFaultedException> _disconnected;

    private RawSession(IpcServer server, RawPeer raw, IpcConnection connection, TaskCompletionSource<ChannelFaultedException> disconnected) =>
        (Server, Raw, Connection, _disconnected) = (server, raw, connection, disconnected);

    public IpcServer Server { get; }
    public RawPeer Raw { get; }

    /// <summary>The server's side of the raw peer's connection.</summary>
    public IpcConnection Connection { get; }

    /// <summary>Why the server's side ended (the bound turns a wedge into a failure).</summary>
    public Task<ChannelFaultedException> DisconnectedAsync() => _disconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));

    public static async Task<RawSession> StartAsync(string transport, IpcOptions options)
    {
        var server = await IpcServer.StartAsync(Endpoints.For(transport), options: options);
        var connected = new TaskCompletionSource<IpcConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var disconnected = new TaskCompletionSource<ChannelFaultedException>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ClientConnected += c => connected.TrySetResult(c);
        server.ClientDisconnected += (_, reason) => disconnected.TrySetResult(reason);
        var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);
        return new RawSession(server, raw, await connected.Task.WaitAsync(TimeSpan.FromSeconds(20)), disconnected);
    }

    public async ValueTask DisposeAsync()
    {
        await Raw.DisposeAsync();
        await Server.DisposeAsync();
    }
}
