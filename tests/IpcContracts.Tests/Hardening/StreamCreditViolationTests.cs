using System.Buffers.Binary;
using System.Text;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Hardening;

/// <summary>
/// A peer that ignores a stream's credit window (docs/protocol.md 7.7 rule 4 and 7.9 rule 2): the side it floods fails
/// that one stream's call with <see cref="IpcProtocolException"/>, tells the peer to stop (Cancel), holds no more than the
/// window plus one item of it, and keeps serving the connection's other calls. Hand-written peers break the rule on
/// purpose, with the consumer held still so the violation does not depend on timing.
/// </summary>
public sealed class StreamCreditViolationTests
{
    private const int Window = 4096;

    private static readonly IpcOptions SmallWindow = new() { Streams = { CreditWindow = Window } };

    private static uint Method(ContractDescriptor contract, string name) => contract.Methods.Single(m => m.Name == name).Id;

    /// <summary>
    /// Server side: the caller is granted 4,096 bytes, the handler reads one item and stops at a gate, and the caller sends
    /// 4,200 bytes and more. Items start only while credit is left, so 586 of 7 bytes get in (the last one overdraws) and
    /// the 587th is the violation: the caller gets Cancel + Upstream, what it sends after that is dropped, the handler reads
    /// exactly the 586 and then its enumeration throws, and the connection answers the next call.
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_caller_that_sends_an_argument_stream_past_its_credit_is_told_to_stop_and_only_that_call_fails(string transport)
    {
        var gated = ContractRegistry.Get<IGatedReads>();
        var calc = ContractRegistry.Get<ICalculator>();
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport),
            b => b.Handle<IGatedReads>(new GatedReadService()).Handle<ICalculator>(new Calculator()), SmallWindow);
        var disconnected = new TaskCompletionSource<ChannelFaultedException>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ClientDisconnected += (_, reason) => disconnected.TrySetResult(reason);
        await using var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);
        var gate = $"credit-{transport}-{Guid.NewGuid():N}";
        var read = Method(gated, "ReadAfterGateAsync");

        await raw.SendAsync(RawPeer.Frame(FrameKind.Request, gated.Id, read, 1, $$"""{"gate":"{{gate}}"}"""));
        var grant = await raw.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((FrameFlags.Upstream, 1ul), (grant.Header.Flags, grant.Header.CorrelationId));
        Assert.Equal((uint)Window, BinaryPrimitives.ReadUInt32LittleEndian(raw.LastPayload));

        // 600 items of 7 bytes in one write, then 8 MiB more: nothing the handler could grant in between (it is at its gate).
        byte[] Item() => RawPeer.Frame(FrameKind.StreamItem, gated.Id, read, 1, "1000000", FrameFlags.Upstream);
        await raw.SendAsync([.. Enumerable.Range(0, 600).SelectMany(_ => Item())]);
        var stop = await raw.ExpectAsync(FrameKind.Cancel);
        Assert.Equal((FrameFlags.Upstream, 1ul), (stop.Header.Flags, stop.Header.CorrelationId));
        var flood = Enumerable.Range(0, 64 * 1024).SelectMany(_ => Item()).ToArray();
        for (var i = 0; i < 4; i++) await raw.SendAsync(flood); // 4 x 64 Ki items after the Cancel: dropped
        await raw.SendAsync(RawPeer.Frame(FrameKind.StreamEnd, gated.Id, read, 1, flags: FrameFlags.Upstream));

        GatedReadService.Open(gate);
        var error = await raw.ExpectAsync(FrameKind.Error);
        Assert.Equal(1ul, error.Header.CorrelationId);
        var payload = RawPeer.Parse(error.Json);
        Assert.Equal("IpcContracts.IpcProtocolException", payload.GetProperty("type").GetString());
        Assert.Contains("beyond the credit", payload.GetProperty("message").GetString());
        Assert.Equal(586, GatedReadService.ReadCount(gate)); // the window plus the one item that overdrew it; none of the flood

        await raw.SendAsync(RawPeer.Frame(FrameKind.Request, calc.Id, Method(calc, "AddAsync"), 2, """{"a":2,"b":3}"""));
        var answer = await raw.ExpectAsync(FrameKind.Response);
        Assert.Equal((2ul, "5"), (answer.Header.CorrelationId, answer.Json));
        Assert.False(disconnected.Task.IsCompleted);
    }

    /// <summary>
    /// Caller side: a hand-written server answers a stream-result call past the 4,096 bytes the caller granted while the
    /// consumer is not reading. The consumer gets the items that had credit, then <see cref="IpcProtocolException"/>; the
    /// server gets Cancel for the call; the next call on the same connection works.
    /// </summary>
    [Theory]
    [InlineData("inproc")]
    [InlineData("pipe")]
    [InlineData("tcp")]
    [InlineData("shm")]
    public async Task A_server_that_sends_stream_items_past_the_callers_credit_fails_that_stream_and_only_it(string transport)
    {
        var streams = ContractRegistry.Get<IStreams>();
        await using var session = await RawServer.StartAsync(Endpoints.For(transport), RawPeer.Handles(streams), SmallWindow);
        var (server, client) = (session.Peer, session.Client);
        var proxy = client.Proxy<IStreams>();
        static byte[] Text(int length) => Encoding.UTF8.GetBytes("\"" + new string('x', length - 2) + "\"");

        await using var items = proxy.NothingAsync().GetAsyncEnumerator();
        var first = items.MoveNextAsync();
        var request = await server.ExpectAsync(FrameKind.Request);
        var call = request.Header.CorrelationId;
        var grant = await server.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal((FrameFlags.None, call, (uint)Window), (grant.Header.Flags, grant.Header.CorrelationId, BinaryPrimitives.ReadUInt32LittleEndian(server.LastPayload)));
        // One item of 3,000 bytes: the consumer reads it and grants those bytes back (more than half the window).
        await server.SendAsync(RawPeer.Frame(FrameKind.StreamItem, streams.Id, request.Header.MethodId, call, Text(3000), FrameFlags.None));
        Assert.True(await first.AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        var regrant = await server.ExpectAsync(FrameKind.StreamCredit);
        Assert.Equal(3000u, BinaryPrimitives.ReadUInt32LittleEndian(server.LastPayload));

        // The consumer is not reading now: 4,096 bytes of credit. A 5,000-byte item may overdraw it; the next one may not.
        await server.SendAsync(RawPeer.Frame(FrameKind.StreamItem, streams.Id, request.Header.MethodId, call, Text(5000), FrameFlags.None));
        await server.SendAsync(RawPeer.Frame(FrameKind.StreamItem, streams.Id, request.Header.MethodId, call, Text(10), FrameFlags.None));
        var stop = await server.ExpectAsync(FrameKind.Cancel);
        Assert.Equal(call, stop.Header.CorrelationId);

        Assert.True(await items.MoveNextAsync()); // the item that had credit
        Assert.Equal(4998, items.Current.Length);
        var e = await Assert.ThrowsAsync<IpcProtocolException>(async () => await items.MoveNextAsync());
        Assert.Equal(ProtocolError.UnexpectedFrame, e.Error);
        Assert.Contains("beyond the credit", e.Message);

        var next = proxy.NothingAsync().GetAsyncEnumerator();
        var ended = next.MoveNextAsync();
        var second = await server.ExpectAsync(FrameKind.Request);
        await server.SendAsync(RawPeer.Frame(FrameKind.Response, second.Header.ContractId, second.Header.MethodId, second.Header.CorrelationId));
        Assert.False(await ended.AsTask().WaitAsync(TimeSpan.FromSeconds(20))); // an empty stream, answered on the same connection
        await next.DisposeAsync();
        Assert.Equal(0, client.Reconnects); // the same connection answered: it was never closed
    }
}
