using System.Buffers;
using System.Text;
using System.Text.Json;
using IpcContracts.Nats;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;
using IpcContracts.Transports;

namespace IpcContracts.Tests.Nats;

/// <summary>How the NATS transport maps endpoints, frames and manifests, checked without a broker (plus two broker checks in-process).</summary>
public sealed class NatsMappingTests
{
    [Theory]
    [InlineData("nats://127.0.0.1:4222", "nats://127.0.0.1:4222", "ipc")]
    [InlineData("nats://broker.example:4222/shop", "nats://broker.example:4222", "shop")]
    [InlineData("nats://[::1]:4222/plant-1.ipc_x", "nats://[::1]:4222", "plant-1.ipc_x")]
    public void An_endpoint_names_the_broker_and_the_subject_prefix(string endpoint, string url, string prefix)
    {
        var address = NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc");

        Assert.Equal(url, address.Url);
        Assert.Equal(prefix, address.Prefix);
        Assert.Equal($"{prefix}.req.FCFDC43F", address.Request(0xFCFDC43F));
        // Events: the sender's fingerprint of the method as the last token (16 hex digits), subscribed with a wildcard.
        Assert.Equal($"{prefix}.evt.0000ABCD.EA2144EA38EF936E", address.Event(0xABCD, 0xEA2144EA38EF936E));
        Assert.Equal($"{prefix}.evt.0000ABCD.*", address.Events(0xABCD));
        Assert.True(NatsAddress.TryEventFingerprint(address.Event(0xABCD, 0xEA2144EA38EF936E), out var fingerprint));
        Assert.Equal(0xEA2144EA38EF936EUL, fingerprint);
        Assert.Equal($"{prefix}.reply.i1.7", address.Reply("i1", 7));
        // Aggregator messages by message type ID, under a token of their own: never one of the contract subjects above.
        Assert.Equal($"{prefix}.bus.req.FCFDC43F", address.BusRequest(0xFCFDC43F));
        Assert.Equal($"{prefix}.bus.manifest.FCFDC43F", address.BusManifest(0xFCFDC43F));
        Assert.Equal($"{prefix}.bus.evt.0000ABCD", address.BusEvent(0xABCD));
    }

    [Theory]
    [InlineData("nats://127.0.0.1")]            // no port
    [InlineData("nats://127.0.0.1:0")]          // port 0: a broker has a real port
    [InlineData("nats://127.0.0.1:99999")]
    [InlineData("nats://127.0.0.1:4222/a.*")]   // wildcards would subscribe to other systems' subjects
    [InlineData("nats://127.0.0.1:4222/a..b")]
    [InlineData("nats://127.0.0.1:4222/a b")]
    [InlineData("nats://127.0.0.1:4222/>")]
    public void A_malformed_endpoint_or_prefix_is_a_configuration_error_naming_the_expected_shape(string endpoint)
    {
        var e = Assert.Throws<IpcConfigurationException>(() => NatsAddress.Parse(IpcEndpoint.Parse(endpoint), "ipc"));
        Assert.True(e.Message.Contains("nats://HOST:PORT", StringComparison.Ordinal) || e.Message.Contains("not a valid NATS subject prefix", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void An_invalid_default_prefix_is_refused_when_the_transport_is_created()
    {
        Assert.Throws<IpcConfigurationException>(() => new NatsTransport(new NatsTransportOptions { SubjectPrefix = "a.>" }));
        Assert.Throws<IpcConfigurationException>(() => new NatsTransport(new NatsTransportOptions { ManifestTimeout = TimeSpan.Zero }));
    }

    [Theory]
    [InlineData("shop.up.0123456789abcdef0123456789abcdef", true)]
    [InlineData("shop.up.0123456789ABCDEF0123456789ABCDEF", false)] // instance IDs are lower-case hex
    [InlineData("shop.up.0123456789abcdef0123456789abcde", false)] // 31 digits
    [InlineData("shop.up.0123456789abcdef0123456789abcdef.x", false)]
    [InlineData("shop.req.0123456789abcdef0123456789abcdef", false)]
    [InlineData("other.up.0123456789abcdef0123456789abcdef", false)] // another system's prefix
    [InlineData("shop.up.*", false)]
    public void Only_a_P_up_subject_of_an_instance_is_taken_as_where_an_argument_stream_goes(string replyTo, bool taken)
    {
        // The reply-to of a handler's StreamCredit is where the caller will send its data: nothing else is trusted as one.
        var address = NatsAddress.Parse(IpcEndpoint.Parse("nats://127.0.0.1:4222/shop"), "ipc");

        Assert.Equal("shop.up.0123456789abcdef0123456789abcdef", address.Upstream("0123456789abcdef0123456789abcdef"));
        Assert.Equal(taken, address.IsUpstream(replyTo));
    }

    [Fact]
    public void An_error_frame_echoes_the_request_ids_and_the_bus_flag_and_carries_the_documented_json()
    {
        var request = new WireFrame.Header(WireFrame.Request, WireFrame.BusFlag | WireFrame.TraceContextFlag, 0xFCFDC43F, 0x1A693A8D, 42, 0);

        var frame = WireFrame.BuildError(request, "mismatch", "IpcContracts.ContractMismatchException", "nobody", "inventory");

        Assert.True(WireFrame.TryReadMessage(new ReadOnlySequence<byte>(frame), out var header));
        Assert.Equal((WireFrame.Error, WireFrame.BusFlag, 0xFCFDC43Fu, 0x1A693A8Du, 42UL), (header.Kind, header.Flags, header.ContractId, header.MethodId, header.CorrelationId));
        using var json = JsonDocument.Parse(frame.AsMemory(WireFrame.HeaderSize));
        Assert.Equal("mismatch", json.RootElement.GetProperty("code").GetString());
        Assert.Equal("inventory", json.RootElement.GetProperty("contract").GetString());
        Assert.False(json.RootElement.TryGetProperty("method", out _)); // omitted for a whole-contract mismatch (protocol 5.3)
    }

    [Theory]
    [InlineData("ipc.evt.0000ABCD")]                   // no fingerprint token: the subject of an older version
    [InlineData("ipc.evt.0000ABCD.EA2144EA38EF936")]   // 15 digits
    [InlineData("ipc.evt.0000ABCD.EA2144EA38EF936EE")] // 17 digits
    [InlineData("ipc.evt.0000ABCD.EA2144EA38EF936X")]
    [InlineData("ipc.evt.0000ABCD.+A2144EA38EF936E")]
    public void An_event_subject_without_a_fingerprint_token_is_not_read_as_one(string subject)
    {
        Assert.False(NatsAddress.TryEventFingerprint(subject, out _));
    }

    [Fact]
    public void A_message_that_is_not_exactly_one_frame_is_not_taken_for_one()
    {
        var frame = WireFrame.Build(WireFrame.Event, 0, 1, 2, 0, "{}"u8);

        Assert.True(WireFrame.TryReadMessage(new ReadOnlySequence<byte>(frame), out _));
        Assert.False(WireFrame.TryReadMessage(new ReadOnlySequence<byte>(frame[..^1]), out _));           // short
        Assert.False(WireFrame.TryReadMessage(new ReadOnlySequence<byte>([.. frame, 0]), out _));        // trailing byte
        Assert.False(WireFrame.TryReadMessage(new ReadOnlySequence<byte>("hello from another app, not a frame"u8.ToArray()), out _));
    }

    [Theory]
    [InlineData(36)]  // whole in the first segment
    [InlineData(20)]  // the correlation ID split between two segments
    [InlineData(17, 19, 22)] // split three ways
    public void A_reply_gets_the_callers_correlation_id_where_it_lies_whatever_the_segments(params int[] cuts)
    {
        var frame = WireFrame.Build(WireFrame.Response, 0, 1, 2, 0x0102030405060708, "{\"x\":1}"u8);
        var expected = WireFrame.Build(WireFrame.Response, 0, 1, 2, 0xF1E2D3C4B5A69788, "{\"x\":1}"u8);
        var sequence = Segments.Cut(frame, cuts);

        WireFrame.PatchCorrelation(sequence, 0xF1E2D3C4B5A69788);

        Assert.Equal(expected, sequence.ToArray());
        Assert.Equal(expected, frame); // rewritten in the frame's own memory, not in a copy
    }

    [Fact]
    public void The_broker_hello_takes_a_serving_process_entry_and_marks_other_request_contracts_unchecked()
    {
        var own = BrokerManifest.Parse(new ReadOnlySequence<byte>("""
            {"protocol":1,"name":"me","contracts":[
              {"id":1,"alias":"calc","kind":1,"handled":false,"methods":[{"id":10,"name":"Add","fp":111,"sig":"R:int(int a)"}]},
              {"id":2,"alias":"other","kind":1,"handled":false,"methods":[{"id":20,"name":"Go","fp":222,"sig":"R:void()"}]},
              {"id":3,"alias":"ticks","kind":2,"handled":false,"methods":[{"id":30,"name":"Tick","fp":333,"sig":"E:void(int t)"}]}],
             "subscribes":[3],"busHandles":[{"id":77,"name":"Shop.Mine","fp":7,"sig":""}],"busSubscribes":[88]}
            """u8.ToArray()));
        var servedJson = """{"protocol":1,"name":"srv","contracts":[{"id":1,"alias":"calc","kind":1,"handled":true,"methods":[{"id":10,"name":"Add","fp":999,"sig":"R:int(long a)"}]}]}"""u8.ToArray();
        var served = new Dictionary<uint, JsonElement> { [1] = BrokerManifest.ServedEntry(servedJson, 1)!.Value };
        var busJson = """{"protocol":1,"name":"srv","busHandles":[{"id":55,"name":"Shop.GetStock","fp":5555,"sig":""}]}"""u8.ToArray();
        var busServed = new Dictionary<uint, JsonElement> { [55] = BrokerManifest.ServedBusEntry(busJson, 55)!.Value };

        using var hello = JsonDocument.Parse(own.BuildPeerHello("broker", served, busServed, [55, 88, 99]));

        var contracts = hello.RootElement.GetProperty("contracts").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetUInt32());
        Assert.Equal(999UL, contracts[1].GetProperty("methods")[0].GetProperty("fp").GetUInt64()); // the server's shape: checked before sending
        Assert.True(contracts[2].GetProperty("handled").GetBoolean());
        Assert.Equal(0UL, contracts[2].GetProperty("methods")[0].GetProperty("fp").GetUInt64());   // unknown yet: checked by the server
        Assert.False(contracts[3].GetProperty("handled").GetBoolean());
        Assert.Equal([3u], hello.RootElement.GetProperty("subscribes").EnumerateArray().Select(e => e.GetUInt32()));
        Assert.Null(BrokerManifest.ServedEntry(servedJson, 2));
        // Own aggregator handlers and subscriptions are read (they decide what this process subscribes to) ...
        Assert.Equal(7UL, own.BusHandles[77].Fingerprint);
        Assert.Equal([88u], own.BusSubscribes);
        // ... and the broker's Hello carries the serving process's busHandles entry (checked before sending) and takes every
        // aggregator type given to it, so the core publishes each one once.
        var busHandle = Assert.Single(hello.RootElement.GetProperty("busHandles").EnumerateArray());
        Assert.Equal((55u, 5555UL), (busHandle.GetProperty("id").GetUInt32(), busHandle.GetProperty("fp").GetUInt64()));
        Assert.Equal([55u, 88u, 99u], hello.RootElement.GetProperty("busSubscribes").EnumerateArray().Select(e => e.GetUInt32()));
        Assert.Null(BrokerManifest.ServedBusEntry(busJson, 56));
    }

    [Fact]
    public void Raw_nats_headers_give_the_status_and_the_named_values()
    {
        var noResponders = new ReadOnlySequence<byte>("NATS/1.0 503\r\nNats-Subject: x.y\r\n\r\n"u8.ToArray());
        var withFp = new ReadOnlySequence<byte>("NATS/1.0\r\nipc-fp: 12345\r\n\r\n"u8.ToArray());

        Assert.Equal(503, RawHeaders.Status(noResponders));
        Assert.Equal(0, RawHeaders.Status(withFp));
        Assert.Equal("12345", RawHeaders.Find(withFp, "Ipc-Fp"));
        Assert.Null(RawHeaders.Find(noResponders, "Ipc-Fp"));
        Assert.Equal(0, RawHeaders.Status(null));
        // The fingerprint is read from the bytes, whichever line it is on; a value that is not a number is no fingerprint.
        var both = new ReadOnlySequence<byte>("NATS/1.0\r\nIpc-Sig: R:int(int a,int b=)\r\nIpc-Fp:  987 \r\n\r\n"u8.ToArray());
        Assert.True(RawHeaders.TryFindUInt64(both, "Ipc-Fp", out var fp));
        Assert.Equal(987UL, fp);
        Assert.Equal("R:int(int a,int b=)", RawHeaders.Find(both, "Ipc-Sig"));
        Assert.False(RawHeaders.TryFindUInt64(new ReadOnlySequence<byte>("NATS/1.0\r\nIpc-Fp: 12x\r\n\r\n"u8.ToArray()), "Ipc-Fp", out _));
        Assert.False(RawHeaders.TryFindUInt64(noResponders, "Ipc-Fp", out _));
    }

    [Fact]
    public void The_trace_context_prefix_is_copied_for_nats_headers()
    {
        const string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        byte[] payload = [(byte)parent.Length, .. Encoding.ASCII.GetBytes(parent), 3, 0, .. "a=b"u8, .. "{}"u8];

        Assert.True(TraceContext.TryRead(new ReadOnlySequence<byte>(payload), out var traceparent, out var tracestate));
        Assert.Equal(parent, traceparent);
        Assert.Equal("a=b", tracestate);
    }

    [Fact]
    public async Task Connecting_to_an_address_where_no_broker_listens_fails_with_ChannelFaultedException_naming_it()
    {
        NatsTransport.Register();
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)); // bound, not listening: connections are refused
        var endpoint = $"nats://127.0.0.1:{((System.Net.IPEndPoint)socket.LocalEndPoint!).Port}";

        var e = await Assert.ThrowsAsync<ChannelFaultedException>(() => IpcClient.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("NATS server", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ChannelFaultedException>(() => IpcServer.StartAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [NatsFact]
    public async Task A_server_in_this_process_serves_a_client_in_this_process_as_soon_as_StartAsync_returns()
    {
        var endpoint = NatsBroker.NewEndpoint();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var client = await IpcClient.ConnectAsync(endpoint, options: new IpcOptions { DefaultCallTimeout = Timeout.InfiniteTimeSpan });

        Assert.Equal(5, await client.Proxy<ICalculator>().AddAsync(2, 3).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(TimeSpan.Zero < await client.Connection.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
