using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>Drives a real server with hand-written frames: every frame kind and the error paths.</summary>
public sealed class WireProtocolTests
{
    private static readonly ContractDescriptor Calc = ContractRegistry.Get<ICalculator>();
    private static uint Method(string name) => Calc.Methods.Single(m => m.Name == name).Id;

    /// <summary>A real server handling ICalculator and a raw peer that has exchanged Hellos with it (also used by the other wire tests).</summary>
    internal static async Task<(IpcServer Server, RawPeer Peer)> StartAsync(string hello)
    {
        var endpoint = Endpoints.InProc();
        IpcServer? server = null;
        server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator(() => server!.Publisher<ITicks>())));
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: hello));
        var serverHello = await peer.ExpectAsync(FrameKind.Hello);
        Assert.Equal(1, RawPeer.Parse(serverHello.Json).GetProperty("protocol").GetInt32());
        return (server, peer);
    }

    [Fact]
    public async Task The_server_sends_Hello_with_its_manifest_and_answers_Ping_with_Pong()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 77));
        var pong = await peer.ExpectAsync(FrameKind.Pong);

        Assert.Equal(77ul, pong.Header.CorrelationId);
    }

    [Fact]
    public async Task A_Request_gets_a_Response_with_the_same_correlation_id()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("AddAsync"), 5, """{"a":20,"b":22}"""));
        var response = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(5ul, response.Header.CorrelationId);
        Assert.Equal("42", response.Json);
    }

    [Fact]
    public async Task A_malformed_payload_fails_only_that_call()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("AddAsync"), 6, """{"a":"x"}"""));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("GetAnswerAsync"), 7, "{}"));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(6ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Equal("42", ok.Json);
    }

    [Fact]
    public async Task An_unknown_contract_or_method_is_answered_with_a_mismatch_Error()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, 0xDEADBEEF, 1, 8, "{}"));
        var noContract = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, 0xDEADBEEF, 9, "{}"));
        var noMethod = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(ErrorCodes.Mismatch, RawPeer.Parse(noContract.Json).GetProperty("code").GetString());
        Assert.Equal(ErrorCodes.Mismatch, RawPeer.Parse(noMethod.Json).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Cancel_cancels_the_handler_and_the_reply_is_a_cancelled_Error()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;
        var probe = Guid.NewGuid().ToString();

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("WaitUntilCancelledAsync"), 10, $$"""{"probe":"{{probe}}"}"""));
        await Task.Delay(50);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Cancel, correlation: 10));
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(ErrorCodes.Cancelled, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.True(Calculator.CancelledProbes.ContainsKey(probe));
    }

    [Fact]
    public async Task Subscribe_brings_Event_frames_and_Unsubscribe_stops_them()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;
        var ticks = ContractRegistry.Get<ITicks>();

        await peer.SendAsync(RawPeer.Frame(FrameKind.Subscribe, ticks.Id));
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("PublishTicksAsync"), 11, """{"source":"raw","count":2}"""));
        var first = await peer.ExpectAsync(FrameKind.Event);
        var second = await peer.ExpectAsync(FrameKind.Event);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Unsubscribe, ticks.Id));
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, Method("PublishTicksAsync"), 12, """{"source":"raw","count":2}"""));
        await peer.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 13));
        var next = await peer.ReceiveAsync();
        while (next is { Header.Kind: FrameKind.Response }) next = await peer.ReceiveAsync();

        Assert.Equal(ticks.Id, first.Header.ContractId);
        Assert.Equal(1, RawPeer.Parse(first.Json).GetProperty("tick").GetProperty("Sequence").GetInt32());
        Assert.Equal(2, RawPeer.Parse(second.Json).GetProperty("tick").GetProperty("Sequence").GetInt32());
        Assert.Equal(FrameKind.Pong, next!.Value.Header.Kind); // no Event after Unsubscribe
    }

    [Fact]
    public async Task Goodbye_makes_the_server_drop_the_connection()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;
        await Eventually.TrueAsync(() => server.Connections.Count == 1);

        await peer.SendAsync(RawPeer.Frame(FrameKind.Goodbye));
        await peer.DisposeAsync();

        await Eventually.TrueAsync(() => server.Connections.Count == 0);
    }

    [Fact]
    public async Task A_frame_before_Hello_is_a_protocol_error_that_closes_only_that_connection()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        await using var goodClient = await IpcClient.ConnectAsync(endpoint);

        await peer.SendAsync(RawPeer.Frame(FrameKind.Ping, correlation: 1));
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(0ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.Protocol, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Null(await peer.ReceiveAsync()); // closed
        Assert.Equal(42, await goodClient.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Theory]
    [InlineData("oversized")]
    [InlineData("unknown-kind")]
    [InlineData("bad-magic")]
    [InlineData("second-hello")]
    [InlineData("bad-hello-json")]
    [InlineData("request-correlation-zero")]
    public async Task Broken_frames_close_the_connection_with_a_protocol_Error_and_the_server_keeps_serving(string breakage)
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()),
            new IpcOptions { MaxPayloadLength = 1024 });
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        if (breakage != "bad-hello-json") await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        var bytes = breakage switch
        {
            "oversized" => RawPeer.Frame(FrameKind.Request, 1, 1, 1, new string('x', 2000)),
            "second-hello" => RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()),
            "bad-hello-json" => RawPeer.Frame(FrameKind.Hello, json: "{not json"),
            "request-correlation-zero" => RawPeer.Frame(FrameKind.Request, 1, 1, 0, "{}"),
            _ => RawPeer.Frame(FrameKind.Ping, correlation: 1),
        };
        if (breakage == "unknown-kind") bytes[3] = 200;
        if (breakage == "bad-magic") bytes[0] = (byte)'X';

        await peer.SendAsync(bytes);
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(ErrorCodes.Protocol, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Null(await peer.ReceiveAsync());
        await using var client = await IpcClient.ConnectAsync(endpoint);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task A_callback_contract_with_another_shape_on_the_peer_is_a_ContractMismatchException_naming_both_shapes()
    {
        var callback = ContractRegistry.Get<IClientCallback>();
        var method = callback.Methods.Single();
        var contracts = $$"""[{"id":{{callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":1,"sig":"R:int(int text)"}]}]""";
        var (server, peer) = await StartAsync(RawPeer.Hello(contracts));
        await using var _ = server;
        await using var __ = peer;
        await Eventually.TrueAsync(() => server.Connections.Count == 1);

        var e = await Assert.ThrowsAsync<ContractMismatchException>(() => server.Connections.Single().Proxy<IClientCallback>().TransformAsync("x"));

        Assert.Equal("test.callback", e.Contract);
        Assert.Equal("TransformAsync", e.Method);
        Assert.Contains("R:int(int text)", e.Message);
        Assert.Contains(method.Signature, e.Message);
    }

    [Fact]
    public async Task The_peer_answers_server_calls_with_Response_and_Error_frames()
    {
        var callback = ContractRegistry.Get<IClientCallback>();
        var method = callback.Methods.Single();
        var contracts = $$"""[{"id":{{callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":{{method.ShapeFingerprint}},"sig":""}]}]""";
        var (server, peer) = await StartAsync(RawPeer.Hello(contracts));
        await using var _ = server;
        await using var __ = peer;
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var proxy = server.Connections.Single().Proxy<IClientCallback>();

        var ok = proxy.TransformAsync("a");
        var request = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Response, correlation: request.Header.CorrelationId, json: "\"A!\""));
        var failing = proxy.TransformAsync("b");
        var request2 = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Error, correlation: request2.Header.CorrelationId,
            json: """{"code":"remote","type":"Peer.Oops","message":"no","stack":"at Peer.Main()"}"""));

        Assert.Equal("""{"text":"a"}""", request.Json);
        Assert.Equal("A!", await ok);
        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => failing);
        Assert.Equal("Peer.Oops", e.RemoteType);
        Assert.Equal("at Peer.Main()", e.RemoteStackTrace);
    }

    [Fact]
    public async Task A_handshake_never_sent_is_closed_after_the_handshake_timeout()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, options: new IpcOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        await using var peer = await RawPeer.ConnectAsync(endpoint);

        await peer.ExpectAsync(FrameKind.Hello); // the server speaks first, then waits

        Assert.Null(await peer.ReceiveAsync());
    }
}
