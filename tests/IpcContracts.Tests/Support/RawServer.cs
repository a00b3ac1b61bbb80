using IpcContracts.Protocol;
using IpcContracts.Transports;

namespace IpcContracts.Tests.Support;

/// <summary>
/// A hand-written server (<see cref="RawPeer"/>) with a real <see cref="IpcClient"/> connected to it, past the handshake
/// (Hello both ways): for tests that answer a client with frames no <see cref="IpcServer"/> would send. The other way
/// round is <see cref="RawSession"/>.
/// </summary>
internal sealed class RawServer : IAsyncDisposable
{
    private readonly IIpcListener _listener;

    private RawServer(IIpcListener listener, RawPeer peer, IpcClient client) => (_listener, Peer, Client) = (listener, peer, client);

    /// <summary>The server's side of the connection, written and read frame by frame.</summary>
    public RawPeer Peer { get; }

    public IpcClient Client { get; }

    /// <param name="endpoint">Where to listen (<see cref="Endpoints.For"/>); the client connects to the endpoint the listener
    /// bound (tcp: its port).</param>
    /// <param name="contractsJson">The Hello manifest's <c>contracts</c> (<see cref="RawPeer.Handles"/>): what the client may call.</param>
    /// <param name="clientOptions">The client's options.</param>
    public static async Task<RawServer> StartAsync(string endpoint, string contractsJson = "[]", IpcOptions? clientOptions = null)
    {
        var ep = IpcEndpoint.Parse(endpoint);
        var listener = await TransportRegistry.Resolve(ep).ListenAsync(ep, new IpcOptions(), CancellationToken.None);
        RawPeer? peer = null;
        try
        {
            var connecting = IpcClient.ConnectAsync(listener.Endpoint.ToString(), options: clientOptions);
            peer = await RawPeer.AcceptAsync(listener);
            await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(contractsJson)));
            await peer.ExpectAsync(FrameKind.Hello);
            return new RawServer(listener, peer, await connecting.WaitAsync(TimeSpan.FromSeconds(20)));
        }
        catch
        {
            if (peer is not null) await peer.DisposeAsync();
            await listener.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Peer.DisposeAsync();
        await _listener.DisposeAsync();
    }
}
