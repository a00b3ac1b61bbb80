using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Hello manifests and Error payloads that parse as JSON but hold nulls where the runtime reads a value
/// (defect 11 of issue #11): each is a clear BadPayload protocol error, never a NullReferenceException.
/// </summary>
public sealed class ManifestValidationTests
{
    private const string Method = """{"id":1,"name":"M","fp":0,"sig":""}""";
    private const string Contract = """{"id":7,"alias":"a","kind":1,"handled":true,"methods":[""" + Method + "]}";

    [Theory]
    [InlineData("contracts-null", """{"protocol":1,"name":"p","contracts":null}""", "contracts")]
    [InlineData("contract-element-null", """{"protocol":1,"name":"p","contracts":[null]}""", "contracts[0]")]
    [InlineData("alias-null", """{"protocol":1,"name":"p","contracts":[{"id":7,"alias":null,"kind":1,"methods":[]}]}""", "contracts[0].alias")]
    [InlineData("methods-null", """{"protocol":1,"name":"p","contracts":[{"id":7,"alias":"a","kind":1,"methods":null}]}""", "contracts[0].methods")]
    [InlineData("method-element-null", """{"protocol":1,"name":"p","contracts":[""" + Contract + """,{"id":8,"alias":"b","kind":1,"methods":[null]}]}""", "contracts[1].methods[0]")]
    [InlineData("method-name-null", """{"protocol":1,"name":"p","contracts":[{"id":7,"alias":"a","kind":1,"methods":[{"id":1,"name":null}]}]}""", "contracts[0].methods[0].name")]
    [InlineData("sig-null", """{"protocol":1,"name":"p","contracts":[{"id":7,"alias":"a","kind":1,"methods":[{"id":1,"name":"M","sig":null}]}]}""", "contracts[0].methods[0].sig")]
    [InlineData("name-null", """{"protocol":1,"name":null}""", "name")]
    [InlineData("subscribes-null", """{"protocol":1,"name":"p","subscribes":null}""", "subscribes")]
    [InlineData("bus-handles-null", """{"protocol":1,"name":"p","busHandles":null}""", "busHandles")]
    [InlineData("bus-handle-element-null", """{"protocol":1,"name":"p","busHandles":[null]}""", "busHandles[0]")]
    [InlineData("bus-handle-name-null", """{"protocol":1,"name":"p","busHandles":[{"id":1,"name":null}]}""", "busHandles[0].name")]
    [InlineData("bus-subscribes-null", """{"protocol":1,"name":"p","busSubscribes":null}""", "busSubscribes")]
    [InlineData("manifest-null", "null", "not a JSON object")]
    [InlineData("manifest-array", "[]", "Hello manifest")]
    [InlineData("trailing-data", """{"protocol":1,"name":"p"}{}""", "Hello manifest")]
    public async Task A_Hello_with_nulls_is_answered_with_a_protocol_Error_naming_the_property_and_the_server_keeps_serving(
        string caseName, string hello, string named)
    {
        _ = caseName;
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var peer = await RawPeer.ConnectAsync(endpoint);

        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: hello));
        var error = await peer.ExpectAsync(FrameKind.Error);

        var payload = RawPeer.Parse(error.Json);
        Assert.Equal(0ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.Protocol, payload.GetProperty("code").GetString());
        Assert.Equal("IpcContracts.IpcProtocolException", payload.GetProperty("type").GetString());
        var message = payload.GetProperty("message").GetString()!;
        Assert.Contains(named, message);
        Assert.DoesNotContain("Object reference", message);
        Assert.Null(await peer.ReceiveAsync()); // closed
        await using var client = await IpcClient.ConnectAsync(endpoint);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task Missing_manifest_properties_take_their_defaults()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        var calc = ContractRegistry.Get<ICalculator>();

        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: """{"protocol":1,"contracts":[{"id":7,"methods":[{"id":1}]}]}"""));
        await peer.ExpectAsync(FrameKind.Hello);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, calc.Id, calc.Methods.Single(m => m.Name == "GetAnswerAsync").Id, 1, "{}"));
        var response = await peer.ExpectAsync(FrameKind.Response);

        Assert.Equal("42", response.Json);
    }

    [Fact]
    public void The_local_fault_is_an_IpcProtocolException_with_BadPayload()
    {
        var e = Assert.Throws<IpcProtocolException>(() => Manifest.Parse(new System.Buffers.ReadOnlySequence<byte>("""{"protocol":1,"contracts":null}"""u8.ToArray())));

        Assert.Equal(ProtocolError.BadPayload, e.Error);
        Assert.Contains("'contracts'", e.Message);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("""{"code":null,"type":null,"message":null}""")]
    [InlineData("""{"code":"mismatch","type":null,"message":null,"contract":null,"method":null}""")]
    [InlineData("""{"code":"remote","message":"x"} trailing""")]
    [InlineData("[]")]
    public async Task An_Error_payload_with_nulls_fails_only_that_call(string errorJson)
    {
        var callback = ContractRegistry.Get<IClientCallback>();
        var method = callback.Methods.Single();
        var contracts = $$"""[{"id":{{callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":{{method.ShapeFingerprint}},"sig":""}]}]""";
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello(contracts)));
        await peer.ExpectAsync(FrameKind.Hello);
        await Eventually.TrueAsync(() => server.Connections.Count == 1);
        var connection = server.Connections.Single();

        var failing = connection.Proxy<IClientCallback>().TransformAsync("a");
        var request = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Error, callback.Id, method.Id, request.Header.CorrelationId, errorJson));

        // Bounded: before the fix a null payload threw after the call was taken off the pending table, so it never ended.
        var e = await Assert.ThrowsAnyAsync<IpcException>(() => failing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsNotType<ChannelFaultedException>(e);
        Assert.DoesNotContain("Object reference", e.Message);
        if (e is RemoteInvocationException remote)
        {
            Assert.NotNull(remote.RemoteType);
            Assert.NotNull(remote.RemoteMessage);
        }
        Assert.True(connection.IsConnected);
        var ok = connection.Proxy<IClientCallback>().TransformAsync("b");
        var request2 = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Response, callback.Id, method.Id, request2.Header.CorrelationId, "\"B\""));
        Assert.Equal("B", await ok.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
