using System.Buffers.Binary;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>Statements of docs/protocol.md that a client author relies on, checked with raw frames.</summary>
public sealed class ProtocolStatementTests
{
    private static readonly ContractDescriptor Calc = ContractRegistry.Get<ICalculator>();
    private static uint CalcMethod(string name) => Calc.Methods.Single(m => m.Name == name).Id;

    private static async Task<(IpcServer Server, RawPeer Peer)> StartAsync(string? hello = null)
    {
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: hello ?? RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);
        return (server, peer);
    }

    [Fact]
    public async Task A_Pong_with_an_unknown_correlation_id_is_ignored()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Pong, correlation: 999));
        await peer.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 5));
        var next = await peer.ReceiveAsync();

        Assert.Equal(FrameKind.Pong, next!.Value.Header.Kind); // no Error, the connection goes on
        Assert.Equal(5ul, next.Value.Header.CorrelationId);
    }

    [Fact]
    public async Task Goodbye_fails_the_receivers_pending_calls_at_once_and_frames_after_it_are_still_handled()
    {
        var callback = ContractRegistry.Get<IClientCallback>();
        var method = callback.Methods.Single();
        var contracts = $$"""[{"id":{{callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":{{method.ShapeFingerprint}},"sig":""}]}]""";
        var (server, peer) = await StartAsync(RawPeer.Hello(contracts));
        await using var _ = server;
        await using var __ = peer;
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var connection = server.Connections.Single();
        var pending = connection.Proxy<IClientCallback>().TransformAsync("a");
        await peer.ExpectAsync(FrameKind.Request);

        await peer.SendAsync(RawPeer.Frame(FrameKind.Goodbye));
        var e = await Assert.ThrowsAsync<ChannelFaultedException>(() => pending);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("GetAnswerAsync"), 1, "{}"));
        var response = await peer.ExpectAsync(FrameKind.Response);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 2));
        var pong = await peer.ExpectAsync(FrameKind.Pong);

        Assert.Contains("closed the connection", e.Message);
        Assert.Equal("42", response.Json);
        Assert.Equal(2ul, pong.Header.CorrelationId);
    }

    [Fact]
    public async Task Mismatch_errors_for_unknown_ids_carry_the_hex_id_and_omit_method_for_an_unhandled_contract()
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;
        var unhandled = ContractRegistry.Get<IUnhandled>();

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, 0x0000ABCD, 1, 1, "{}"));
        var unknownContract = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, 0xDEADBEEF, 2, "{}"));
        var unknownMethod = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, unhandled.Id, unhandled.Methods.Single().Id, 3, "{}"));
        var knownButUnhandled = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);

        Assert.Equal(ErrorCodes.Mismatch, unknownContract.GetProperty("code").GetString());
        Assert.Equal("0x0000ABCD", unknownContract.GetProperty("contract").GetString());
        Assert.False(unknownContract.TryGetProperty("method", out var _));
        Assert.Equal("test.calculator", unknownMethod.GetProperty("contract").GetString());
        Assert.Equal("0xDEADBEEF", unknownMethod.GetProperty("method").GetString());
        Assert.Equal("test.unhandled", knownButUnhandled.GetProperty("contract").GetString());
        Assert.False(knownButUnhandled.TryGetProperty("method", out var _));
    }

    [Theory]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public async Task The_length_field_is_unsigned_and_a_length_above_the_limit_is_a_FrameTooLarge_protocol_Error(uint length)
    {
        var (server, peer) = await StartAsync();
        await using var _ = server;
        await using var __ = peer;
        var frame = RawPeer.Frame(FrameKind.Ping, correlation: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(24), length);

        await peer.SendAsync(frame);
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(0ul, error.Header.CorrelationId);
        Assert.Contains($"length {length} exceeds", RawPeer.Parse(error.Json).GetProperty("message").GetString());
        Assert.Null(await peer.ReceiveAsync());
    }
}
