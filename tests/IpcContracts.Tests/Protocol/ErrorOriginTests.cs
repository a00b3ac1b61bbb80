using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// Error codes say where a failure came from (defect 13 of issue #11): <c>mismatch</c> and <c>bad_payload</c>
/// only for the dispatch of the caller's own request; a handler whose own outbound call fails answers
/// <c>remote</c>, with the exception type of that nested failure as the remote type.
/// </summary>
public sealed class ErrorOriginTests
{
    private static readonly ContractDescriptor Calc = ContractRegistry.Get<ICalculator>();
    private static readonly ContractDescriptor Callback = ContractRegistry.Get<IClientCallback>();
    private static uint CalcMethod(string name) => Calc.Methods.Single(m => m.Name == name).Id;

    private static async Task<(IpcServer Server, RawPeer Peer)> StartAsync(string hello)
    {
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: hello));
        await peer.ExpectAsync(FrameKind.Hello);
        return (server, peer);
    }

    private static string CallbackContracts()
    {
        var method = Callback.Methods.Single();
        return $$"""[{"id":{{Callback.Id}},"alias":"test.callback","kind":1,"handled":true,"methods":[{"id":{{method.Id}},"name":"TransformAsync","fp":{{method.ShapeFingerprint}},"sig":""}]}]""";
    }

    [Fact]
    public async Task On_the_wire_a_handler_whose_callback_fails_its_contract_check_answers_remote_not_mismatch()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello()); // the peer handles no callback contract
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("CallBackAsync"), 1, """{"text":"x"}"""));
        var error = await peer.ExpectAsync(FrameKind.Error);

        var payload = RawPeer.Parse(error.Json);
        Assert.Equal(1ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.Remote, payload.GetProperty("code").GetString());
        Assert.Equal("IpcContracts.ContractMismatchException", payload.GetProperty("type").GetString());
        Assert.Contains("test.callback", payload.GetProperty("message").GetString());
        Assert.False(payload.TryGetProperty("contract", out var _)); // a mismatch of the caller's own call would name it
    }

    [Fact]
    public async Task On_the_wire_a_handler_whose_callback_reply_does_not_parse_answers_remote_not_bad_payload()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello(CallbackContracts()));
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("CallBackAsync"), 1, """{"text":"x"}"""));
        var callback = await peer.ExpectAsync(FrameKind.Request);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Response, callback.Header.ContractId, callback.Header.MethodId, callback.Header.CorrelationId, "42"));
        var error = await peer.ExpectAsync(FrameKind.Error);

        var payload = RawPeer.Parse(error.Json);
        Assert.Equal(1ul, error.Header.CorrelationId);
        Assert.Equal(ErrorCodes.Remote, payload.GetProperty("code").GetString());
        Assert.Equal("IpcContracts.IpcProtocolException", payload.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_typed_caller_sees_a_nested_contract_mismatch_as_RemoteInvocationException()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        await using var client = await IpcClient.ConnectAsync(endpoint); // handles no IClientCallback

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Proxy<ICalculator>().CallBackAsync("x"));

        Assert.Equal("IpcContracts.ContractMismatchException", e.RemoteType);
        Assert.Contains("test.callback", e.RemoteMessage);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());
    }

    [Fact]
    public async Task A_typed_caller_sees_a_nested_reply_that_did_not_parse_as_RemoteInvocationException()
    {
        var endpoint = Endpoints.InProc();
        await using var server = await IpcServer.StartAsync(endpoint, b => b.Handle<ICalculator>(new Calculator()));
        // The client answers the server's callback with a number where the contract promises a string.
        await using var client = await IpcClient.ConnectAsync(endpoint, b => b.HandleRaw("test.callback", "TransformAsync", _ => ValueTask.FromResult<string?>("42")));

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => client.Proxy<ICalculator>().CallBackAsync("x"));

        Assert.Equal("IpcContracts.IpcProtocolException", e.RemoteType);
        Assert.Contains("TransformAsync", e.RemoteMessage);
    }

    [Fact]
    public async Task The_callers_own_bad_arguments_and_unknown_ids_still_answer_bad_payload_and_mismatch()
    {
        var (server, peer) = await StartAsync(RawPeer.Hello());
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, CalcMethod("AddAsync"), 1, """{"a":"x"}"""));
        var badArgs = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Calc.Id, 0xDEADBEEF, 2, "{}"));
        var noMethod = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);

        Assert.Equal(ErrorCodes.BadPayload, badArgs.GetProperty("code").GetString());
        Assert.Equal(ErrorCodes.Mismatch, noMethod.GetProperty("code").GetString());
    }
}
