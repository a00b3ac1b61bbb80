using System.Collections.Concurrent;
using IpcContracts.Protocol;
using IpcContracts.Runtime;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Conformance;

/// <summary>
/// Error codes a caller can switch on, and why a connection ended (<see cref="DisconnectReason"/>), on every transport.
/// The cross-process halves (a client process that exits cleanly or is killed, a server process stopped or killed) are in
/// <see cref="CrossProcess.CrossProcessTests"/>.
/// </summary>
public abstract class ErrorAndDisconnectTests(string transport)
{
    private static readonly ContractDescriptor Errors = ContractRegistry.Get<IErrors>();

    private static uint ErrorsMethod(string name) => Errors.Methods.Single(m => m.Name == name).Id;

    private Task<IpcServer> StartServerAsync() =>
        IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<IErrors>(new ErrorService()).Handle<ICalculator>(new Calculator()));

    /// <summary>Collects every ClientDisconnected of <paramref name="server"/>.</summary>
    private static ConcurrentQueue<ChannelFaultedException> Disconnects(IpcServer server)
    {
        var reasons = new ConcurrentQueue<ChannelFaultedException>();
        server.ClientDisconnected += (_, reason) => reasons.Enqueue(reason);
        return reasons;
    }

    private static async Task<ChannelFaultedException> SingleDisconnectAsync(ConcurrentQueue<ChannelFaultedException> reasons)
    {
        await Eventually.TrueAsync(() => !reasons.IsEmpty, 20_000);
        return Assert.Single(reasons);
    }

    [Fact]
    public async Task A_handlers_error_code_reaches_the_caller_as_ErrorCode_with_the_remote_type_and_message()
    {
        await using var server = await StartServerAsync();
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var errors = client.Proxy<IErrors>();

        var coded = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailCodedAsync("inventory.out_of_stock", "Only 3 left."));
        Assert.Equal("inventory.out_of_stock", coded.ErrorCode);
        Assert.Equal("IpcContracts.IpcErrorException", coded.RemoteType);
        Assert.Equal("Only 3 left.", coded.RemoteMessage);
        Assert.Null(coded.RemoteStackTrace); // a domain error is an expected outcome: no stack crosses
        Assert.Contains("inventory.out_of_stock", coded.Message);

        var domain = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailDomainAsync("stock.none", "None left."));
        Assert.Equal("stock.none", domain.ErrorCode); // the handler's own exception type, through IIpcError
        Assert.Equal(typeof(OutOfStockException).FullName, domain.RemoteType);
        Assert.Equal("None left.", domain.RemoteMessage);

        var unexpected = await Assert.ThrowsAsync<RemoteInvocationException>(() => errors.FailUnexpectedAsync("bug"));
        Assert.Equal(RemoteInvocationException.UnhandledErrorCode, unexpected.ErrorCode);
        Assert.Equal("unhandled", unexpected.ErrorCode);
        Assert.Equal("System.InvalidOperationException", unexpected.RemoteType);
        Assert.Contains(nameof(ErrorService.FailUnexpectedAsync), unexpected.RemoteStackTrace); // a bug keeps its stack
    }

    [Fact]
    public async Task A_client_that_disposes_is_ClosedByPeer_at_the_server_and_ClosedLocally_at_the_client()
    {
        await using var server = await StartServerAsync();
        var reasons = Disconnects(server);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var connection = client.Connection;
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync());

        await client.DisposeAsync();

        var atServer = await SingleDisconnectAsync(reasons);
        Assert.Equal(DisconnectReason.ClosedByPeer, atServer.Reason);
        Assert.Equal(DisconnectReason.ClosedLocally, (await connection.Completion.WaitAsync(TimeSpan.FromSeconds(20))).Reason);
    }

    /// <summary>
    /// The server is writing to the client when it goes: a write can fail before the server has read the client's
    /// Goodbye, and the connection must still end as a goodbye, not as a lost peer.
    /// </summary>
    [Fact]
    public async Task A_client_that_disposes_while_the_server_streams_events_to_it_is_ClosedByPeer()
    {
        await using var server = await StartServerAsync();
        var reasons = Disconnects(server);
        var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        var collector = new TickCollector(int.MaxValue);
        using var _ = await client.SubscribeAsync<ITicks>(collector);
        var flood = TickFlood.Start(server.Publisher<ITicks>());
        await Eventually.TrueAsync(() => collector.Count > 1000, 20_000);

        await client.DisposeAsync();

        var reason = await SingleDisconnectAsync(reasons);
        await flood.StopAsync();
        Assert.True(reason.Reason == DisconnectReason.ClosedByPeer, $"{reason.Reason}: {reason.Message}");
    }

    [Fact]
    public async Task A_peer_whose_stream_ends_without_Goodbye_is_PeerLost()
    {
        await using var server = await StartServerAsync();
        var reasons = Disconnects(server);
        var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);

        await raw.DisposeAsync(); // the end of the stream, no Goodbye: what a killed process leaves

        Assert.Equal(DisconnectReason.PeerLost, (await SingleDisconnectAsync(reasons)).Reason);
    }

    [Fact]
    public async Task A_peer_that_sends_Goodbye_and_then_ends_its_stream_is_ClosedByPeer()
    {
        await using var server = await StartServerAsync();
        var reasons = Disconnects(server);
        var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);

        await raw.SendAsync(RawPeer.Frame(FrameKind.Goodbye));
        await raw.DisposeAsync();

        Assert.Equal(DisconnectReason.ClosedByPeer, (await SingleDisconnectAsync(reasons)).Reason);
    }

    [Fact]
    public async Task A_peer_that_breaks_the_protocol_is_ProtocolViolation()
    {
        await using var server = await StartServerAsync();
        var reasons = Disconnects(server);
        await using var raw = await RawPeer.ConnectAsync(server.Endpoint.ToString());
        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello()));
        await raw.ExpectAsync(FrameKind.Hello);

        await raw.SendAsync(RawPeer.Frame(FrameKind.Hello, json: RawPeer.Hello())); // a second Hello

        var error = await raw.ExpectAsync(FrameKind.Error);
        Assert.Equal(ErrorCodes.Protocol, RawPeer.Parse(error.Json).GetProperty("code").GetString());
        var reason = await SingleDisconnectAsync(reasons);
        Assert.Equal(DisconnectReason.ProtocolViolation, reason.Reason);
        Assert.IsType<IpcProtocolException>(reason.InnerException);
    }

    [Fact]
    public async Task A_peer_that_closes_with_a_connection_level_Error_is_RejectedByPeer()
    {
        await using var session = await RawServer.StartAsync(Endpoints.For(transport), clientOptions: new IpcOptions { Reconnect = { Enabled = false } });
        var (raw, client) = (session.Peer, session.Client);

        await raw.SendAsync(RawPeer.Frame(FrameKind.Error, json: """{"code":"protocol","type":"IpcContracts.IpcProtocolException","message":"you sent garbage"}"""));

        var reason = await client.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(DisconnectReason.RejectedByPeer, reason.Reason);
        Assert.Contains("you sent garbage", reason.Message);
    }

    [Fact]
    public async Task Disposing_the_server_is_ClosedLocally_there_and_ClosedByPeer_at_the_client_and_its_pending_call()
    {
        var server = await StartServerAsync();
        var reasons = Disconnects(server);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ClientConnected += _ => connected.TrySetResult();
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: new IpcOptions { Reconnect = { Enabled = false } });
        var connection = client.Connection;
        var pending = client.Proxy<ICalculator>().DelayAsync(60_000, CancellationToken.None);
        Assert.Equal(42, await client.Proxy<ICalculator>().GetAnswerAsync()); // the delay is running at the server
        // Only a connection that raised ClientConnected raises ClientDisconnected; the server may still be about to raise it.
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(20));

        await server.DisposeAsync();

        Assert.Equal(DisconnectReason.ClosedLocally, (await SingleDisconnectAsync(reasons)).Reason);
        var failed = await Assert.ThrowsAsync<ChannelFaultedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(DisconnectReason.ClosedByPeer, failed.Reason);
        Assert.Equal(DisconnectReason.ClosedByPeer, (await connection.Completion.WaitAsync(TimeSpan.FromSeconds(20))).Reason);
    }
}

public sealed class InProcErrorAndDisconnect() : ErrorAndDisconnectTests("inproc");
public sealed class PipeErrorAndDisconnect() : ErrorAndDisconnectTests("pipe");
public sealed class TcpErrorAndDisconnect() : ErrorAndDisconnectTests("tcp");
public sealed class ShmErrorAndDisconnect() : ErrorAndDisconnectTests("shm");
