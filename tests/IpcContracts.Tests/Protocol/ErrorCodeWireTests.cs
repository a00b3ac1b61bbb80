using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Protocol;

/// <summary>
/// The Error payload's <c>errorCode</c> member, byte for byte (docs/protocol.md 5.3): written for a coded handler error,
/// without a stack; absent for any other exception; read by a caller into <see cref="RemoteInvocationException.ErrorCode"/>,
/// with <c>unhandled</c> when a peer sends none.
/// </summary>
public sealed class ErrorCodeWireTests
{
    private static readonly ContractDescriptor Errors = ContractRegistry.Get<IErrors>();

    private static uint Method(string name) => Errors.Methods.Single(m => m.Name == name).Id;

    private static async Task<(IpcServer Server, RawPeer Peer)> StartServerAsync()
    {
        var endpoint = Endpoints.InProc();
        var server = await IpcServer.StartAsync(endpoint, b => b.Handle<IErrors>(new ErrorService()));
        var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await peer.ExpectAsync(FrameKind.Hello);
        return (server, peer);
    }

    [Fact]
    public async Task A_coded_handler_error_is_written_with_errorCode_and_without_stack()
    {
        var (server, peer) = await StartServerAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Errors.Id, Method("FailCodedAsync"), 7, """{"code":"inventory.out_of_stock","message":"Only 3 left."}"""));
        var error = await peer.ExpectAsync(FrameKind.Error);

        Assert.Equal(7ul, error.Header.CorrelationId);
        Assert.Equal("""{"code":"remote","type":"IpcContracts.IpcErrorException","message":"Only 3 left.","errorCode":"inventory.out_of_stock"}""", error.Json);
    }

    [Fact]
    public async Task An_exception_without_a_code_is_written_without_errorCode_and_with_its_stack()
    {
        var (server, peer) = await StartServerAsync();
        await using var _ = server;
        await using var __ = peer;

        await peer.SendAsync(RawPeer.Frame(FrameKind.Request, Errors.Id, Method("FailUnexpectedAsync"), 8, """{"message":"bug"}"""));
        var payload = RawPeer.Parse((await peer.ExpectAsync(FrameKind.Error)).Json);

        Assert.Equal("remote", payload.GetProperty("code").GetString());
        Assert.Equal("System.InvalidOperationException", payload.GetProperty("type").GetString());
        Assert.True(payload.TryGetProperty("stack", out var stack) && stack.GetString()!.Length > 0);
        Assert.False(payload.TryGetProperty("errorCode", out var code));
    }

    [Theory]
    [InlineData("""{"code":"remote","type":"T","message":"m","errorCode":"payment.declined"}""", "payment.declined")]
    [InlineData("""{"code":"remote","type":"T","message":"m"}""", "unhandled")]
    [InlineData("""{"code":"remote","type":"T","message":"m","errorCode":null}""", "unhandled")]
    [InlineData("""{"code":"remote","type":"T","message":"m","errorCode":""}""", "unhandled")]
    [InlineData("""{"code":"something_new","type":"T","message":"m","errorCode":"x.y"}""", "x.y")]
    public async Task A_caller_reads_errorCode_into_ErrorCode_and_unhandled_when_there_is_none(string errorJson, string expected)
    {
        await using var session = await RawServer.StartAsync(Endpoints.InProc(), RawPeer.Handles(Errors));
        var (server, client) = (session.Peer, session.Client);

        var call = client.Proxy<IErrors>().FailCodedAsync("ignored", "ignored");
        var request = await server.ExpectAsync(FrameKind.Request);
        await server.SendAsync(RawPeer.Frame(FrameKind.Error, request.Header.ContractId, request.Header.MethodId, request.Header.CorrelationId, errorJson));

        var e = await Assert.ThrowsAsync<RemoteInvocationException>(() => call.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(expected, e.ErrorCode);
        Assert.Equal("T", e.RemoteType);
        Assert.Equal("m", e.RemoteMessage);
    }
}
