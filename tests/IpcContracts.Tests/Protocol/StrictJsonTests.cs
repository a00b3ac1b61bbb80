using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Every JSON payload is exactly one strict JSON value (defect 14 of issue #11): a comment, a second value,
/// garbage or NUL bytes after it are rejected, wherever the runtime parses JSON: arguments, bus requests,
/// results, events, and the arguments and results of untyped handlers.
/// </summary>
public sealed class StrictJsonTests
{
    private static readonly ContractDescriptor Calc = ContractRegistry.Get<ICalculator>();
    private static uint CalcMethod(string name) => Calc.Methods.Single(m => m.Name == name).Id;

    public static TheoryData<string> Trailers => new() { " // c", "{}", "xyz", "\0\0", ",", "]" };

    private static async Task<(IpcServer Server, RawPeer Peer)> StartAsync(Action<IpcEndpointBuilder> configure, string hello, IpcOptions? options = null)
    {
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, configure, options);
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: hello));
        await peer.ExpectAsync(FrameKind.Hello);
        return (server, peer);
    }

    [Theory]
    [MemberData(nameof(Trailers))]
    public async Task Arguments_followed_by_anything_but_whitespace_are_answered_with_bad_payload(string trailer)
    {
        var (server, peer) = await StartAsync(b => b.Handle<ICalculator>(new Calculator()), RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("AddAsync"), 1, """{"a":1,"b":2}""" + trailer));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("AddAsync"), 2, "{\"a\":1,\"b\":2} \r\n\t"));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(1ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Equal("3", ok.Json); // trailing whitespace is JSON
    }

    [Theory]
    [MemberData(nameof(Trailers))]
    public async Task A_result_followed_by_anything_fails_the_call_with_BadPayload(string trailer)
    {
        var callback = ContractRegistry.Get<IClientCallback>();
        var method = callback.Methods.Single();
        var contracts = $$"""[{"id":{{callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":{{method.ShapeFingerprint}},"sig":""}]}]""";
        var (server, peer) = await StartAsync(b => b.Handle<ICalculator>(new Calculator()), RawPeer.Hello(contracts));
        await using var _ = server;
        await using var __ = peer;
        await Eventually.TrueAsync(() => server.Connections.Count == 1);

        var call = server.Connections.Single().Proxy<IClientCallback>().TransformAsync("a");
        var request = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Response, callback.Id, method.Id, request.Header.CorrelationId, "\"A\"" + trailer));

        var e = await Assert.ThrowsAsync<IpcProtocolException>(() => call);
        Assert.Equal(ProtocolError.BadPayload, e.Error);
    }

    [Theory]
    [MemberData(nameof(Trailers))]
    public async Task An_event_followed_by_anything_is_dropped_and_reported(string trailer)
    {
        var ticks = ContractRegistry.Get<ITicks>();
        var tick = ticks.Methods.Single(m => m.Name == "Tick");
        var reported = new ConcurrentQueue<Exception>();
        var seen = new TickCollector(expected: 1);
        var (server, peer) = await StartAsync(_ => { }, RawPeer.Hello(), new IpcOptions { EventHandlerException = reported.Enqueue });
        await using var _ = server;
        await using var __ = peer;
        using var subscription = server.Subscribe<ITicks>(seen);

        await peer.SendAsync(RawPeer.Frame(FrameKind.Event, ticks.Id, tick.Id, 0, """{"tick":{"Sequence":1,"Source":"bad"}}""" + trailer));
        await peer.SendAsync(RawPeer.Frame(FrameKind.Event, ticks.Id, tick.Id, 0, """{"tick":{"Sequence":2,"Source":"good"}}"""));
        await seen.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([2], seen.Sequences); // events are handled in order: the bad one, sent first, was dropped
        var e = Assert.IsType<IpcProtocolException>(Assert.Single(reported));
        Assert.Equal(ProtocolError.BadPayload, e.Error);
    }

    [Theory]
    [MemberData(nameof(Trailers))]
    public async Task A_bus_request_followed_by_anything_is_answered_with_bad_payload(string trailer)
    {
        var endpoint = Endpoints.InProc();
        await using var bus = new EventAggregator(new IpcContractsOptions().Listen(endpoint));
        using var handler = bus.SubscribeRequest<GetPrice, Price>((r, _) => Task.FromResult(new Price(r.Sku, 3m)));
        await bus.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);
        var getPrice = MessageTypeRegistry.Get<GetPrice>().Id;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, 0, getPrice, 1, """{"Sku":"A"}""" + trailer, FrameFlags.Bus));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, 0, getPrice, 2, """{"Sku":"A"}""", FrameFlags.Bus));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Equal("A", RawPeer.Parse(ok.Json).GetProperty("Sku").GetString());
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("[1,2]")]
    [InlineData("42")]
    [InlineData("")]
    [InlineData("""{"a":1}xyz""")]
    [InlineData("""{"a":1} // c""")]
    [InlineData("{\"a\":1}\0")]
    public async Task An_untyped_handler_gets_only_a_strict_JSON_object_and_anything_else_is_bad_payload(string arguments)
    {
        var calls = 0;
        var (server, peer) = await StartAsync(b => b.HandleRaw("tools.echo", "Echo", call =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult<string?>(call.ArgumentsJson);
        }), RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;
        uint contract = Fnv1a.Hash32("tools.echo"), method = Fnv1a.Hash32("Echo");

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, contract, method, 1, arguments));
        var error = await peer.ExpectAsync(FrameKind.Error);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, contract, method, 2, """{"a":1}"""));
        var ok = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal(ErrorCodes.BadPayload, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        Assert.Equal("""{"a":1}""", ok.Json);
        Assert.Equal(1, calls); // the handler never saw the bad arguments
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("""{"a":1} trailing""")]
    [InlineData("{\"a\":1}\0")]
    public async Task An_untyped_handler_that_returns_text_that_is_not_JSON_fails_the_call_with_a_clear_error(string result)
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b
            .HandleRaw("tools.text", "Bad", _ => ValueTask.FromResult<string?>(result))
            .HandleRaw("tools.text", "Good", _ => ValueTask.FromResult<string?>(""" {"ok":true} """)));
        await using var client = await IpcClient.ConnectAsync(endpoint);

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Connection.InvokeRawAsync("tools.text", "Bad"));

        Assert.Contains("not one JSON value", e.RemoteMessage);
        Assert.Contains("tools.text.Bad", e.RemoteMessage);
        Assert.Equal(""" {"ok":true} """, await client.Connection.InvokeRawAsync("tools.text", "Good"));
    }
}
