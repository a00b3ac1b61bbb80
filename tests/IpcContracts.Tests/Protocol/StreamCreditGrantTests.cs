using System.Buffers.Binary;
using System.Text;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// When a consumer grants credit (docs/protocol.md 7.7 rule 3, 7.9 rule 2): what its user has read, once that reaches a
/// quarter of the window, so the producer has three quarters in hand while the grant travels (a grant at half the window
/// left a 24 MiB <c>Stream</c> waiting for credit on a busy machine: docs/benchmarks.md, session 24). Hand-written peers
/// send exactly enough items to cross a quarter and not half, so a consumer that grants at half sends nothing.
/// </summary>
public sealed class StreamCreditGrantTests
{
    private const int Window = 4096; // a quarter: 1,024 bytes; half: 2,048

    private static readonly IpcOptions SmallWindow = new() { Streams = { CreditWindow = Window } };

    private static uint Method(ContractDescriptor contract, string name) => contract.Methods.Single(m => m.Name == name).Id;

    /// <summary>The next frame that is not a keep-alive Ping (a peer may send one at any time; it says nothing here).</summary>
    private static async Task<(FrameHeader Header, string Json)> NextAsync(RawPeer peer)
    {
        while (true)
        {
            var frame = await peer.ReceiveAsync() ?? throw new Xunit.Sdk.XunitException("No frame came (the consumer granted nothing) before the peer's stream ended.");
            if (frame.Header.Kind != FrameKind.Ping) return frame;
        }
    }

    /// <summary>
    /// Caller side (a stream result): four items of 300 bytes read, 1,200 bytes, is past a quarter of the window; the
    /// caller grants exactly those bytes, and nothing after three (900).
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_caller_grants_what_it_has_read_once_that_reaches_a_quarter_of_the_window(string transport)
    {
        var streams = ContractRegistry.Get<IStreams>();
        await using var session = await RawServer.StartAsync(Endpoints.For(transport), RawPeer.Handles(streams), SmallWindow);
        var (server, client) = (session.Peer, session.Client);
        byte[] Item(ulong call, uint method) =>
            RawPeer.Frame(FrameKind.StreamItem, streams.Id, method, call, Encoding.UTF8.GetBytes("\"" + new string('x', 298) + "\""), FrameFlags.None);

        await using var items = client.Proxy<IStreams>().NothingAsync().GetAsyncEnumerator();
        var first = items.MoveNextAsync();
        var request = await server.ExpectAsync(FrameKind.Request);
        var (call, method) = (request.Header.CorrelationId, request.Header.MethodId);
        await server.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((uint)Window, BinaryPrimitives.ReadUInt32LittleEndian(server.LastPayload));

        await server.SendAsync(Item(call, method));
        Assert.True(await first.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        for (var i = 0; i < 2; i++)
        {
            await server.SendAsync(Item(call, method));
            Assert.True(await items.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        }
        // 900 bytes read: below a quarter. A Ping answered shows nothing was sent before it (one connection, one order).
        await server.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 77));
        var pong = await NextAsync(server);
        Assert.Equal((FrameKind.Pong, 77ul), (pong.Header.Kind, pong.Header.CorrelationId));

        await server.SendAsync(Item(call, method));
        Assert.True(await items.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        var grant = await NextAsync(server);
        Assert.Equal((FrameKind.StreamCredit, FrameFlags.None, call), (grant.Header.Kind, grant.Header.Flags, grant.Header.CorrelationId));
        Assert.Equal(1200u, BinaryPrimitives.ReadUInt32LittleEndian(server.LastPayload));

        await server.SendAsync(RawPeer.Frame(FrameKind.Response, streams.Id, method, call));
        Assert.False(await items.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
    }

    /// <summary>
    /// Handler side (an argument stream): 147 items of 7 bytes read, 1,029 bytes, is past a quarter of the window; the
    /// handler's side grants exactly those bytes with <c>Upstream</c> before the stream has ended.
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_handler_grants_what_it_has_read_once_that_reaches_a_quarter_of_the_window(string transport)
    {
        var gated = ContractRegistry.Get<IGatedReads>();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IGatedReads>(new GatedReadService()), SmallWindow);
        await using var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);
        var gate = $"grant-{transport}-{Guid.NewGuid():N}";
        GatedReadService.Open(gate); // the handler reads on without stopping
        var read = Method(gated, "ReadAfterGateAsync");

        await raw.SendAsync(RawPeer.Frame(FrameKind.Request, gated.Id, read, 1, $$"""{"gate":"{{gate}}"}"""));
        await raw.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((uint)Window, BinaryPrimitives.ReadUInt32LittleEndian(raw.LastPayload));

        byte[] Item() => RawPeer.Frame(FrameKind.StreamItem, gated.Id, read, 1, "1000000", FrameFlags.Upstream);
        await raw.SendAsync([.. Enumerable.Range(0, 146).SelectMany(_ => Item())]);
        await Eventually.TrueAsync(() => GatedReadService.ReadCount(gate) == 146); // 1,022 bytes read: no grant yet
        await raw.SendAsync(Item());
        var grant = await NextAsync(raw);
        Assert.Equal((FrameKind.StreamCredit, FrameFlags.Upstream, 1ul), (grant.Header.Kind, grant.Header.Flags, grant.Header.CorrelationId));
        Assert.Equal(1029u, BinaryPrimitives.ReadUInt32LittleEndian(raw.LastPayload));

        await raw.SendAsync(RawPeer.Frame(FrameKind.StreamEnd, gated.Id, read, 1, flags: FrameFlags.Upstream));
        var answer = await raw.ExpectAsync(FrameKind.Response);
        Assert.Equal((1ul, "147"), (answer.Header.CorrelationId, answer.Json));
    }
}
