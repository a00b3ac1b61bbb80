using IpcContracts.Protocol;
using IpcContracts.TestContracts;
using IpcContracts.Tests.Support;

namespace IpcContracts.Tests.Liveness;

/// <summary>
/// A connection's timer (its watchdog: call deadlines, the send-stall and partial-frame bounds, the keep-alive) rests while
/// the connection has nothing to watch, and whatever needs it again wakes it (issue #16: idle connections cost no CPU).
/// Ticks are counted, not timed; the waits below are bounds on a wedge, not thresholds.
/// </summary>
public sealed class WatchdogRestTests
{
    public static TheoryData<string> Transports => new() { "inproc", "pipe", "tcp", "shm" };

    private static readonly IpcOptions NoKeepAlive = new() { KeepAliveInterval = Timeout.InfiniteTimeSpan, KeepAliveTimeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// Regression: every connection's timer ticked four times a second for as long as the connection lived (8 ticks in
    /// 2 s here). Now it rests after a quiet second: with the default keep-alive it ticks every quarter interval (3.75 s),
    /// so at most one tick falls in the 2 s measured, on both sides.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_idle_connection_s_watchdog_rests(string transport)
    {
        var connected = new TaskCompletionSource<IpcConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()));
        server.ClientConnected += c => connected.TrySetResult(c);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString());
        Assert.Equal(3, await client.Proxy<ICalculator>().AddAsync(1, 2));
        var serverSide = await connected.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => client.Connection.WatchdogResting && serverSide.WatchdogResting);
        var clientTicks = client.Connection.WatchdogTicks;
        var serverTicks = serverSide.WatchdogTicks;
        await Task.Delay(2000);

        Assert.True(client.Connection.WatchdogTicks - clientTicks <= 1, $"client: {client.Connection.WatchdogTicks - clientTicks} ticks in 2 s of rest");
        Assert.True(serverSide.WatchdogTicks - serverTicks <= 1, $"server: {serverSide.WatchdogTicks - serverTicks} ticks in 2 s of rest");
        Assert.Equal(3, await client.Proxy<ICalculator>().AddAsync(1, 2)); // and the connection works on
    }

    /// <summary>
    /// A call started while the watchdog rests (keep-alive off: a resting watchdog does not tick at all) still ends at its
    /// deadline: its Request wakes the watchdog.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_call_made_while_the_watchdog_rests_still_times_out(string transport)
    {
        await using var server = await IpcServer.StartAsync(Endpoints.For(transport), b => b.Handle<ICalculator>(new Calculator()), NoKeepAlive);
        await using var client = await IpcClient.ConnectAsync(server.Endpoint.ToString(), options: NoKeepAlive);
        Assert.Equal(3, await client.Proxy<ICalculator>().AddAsync(1, 2));
        await Eventually.TrueAsync(() => client.Connection.WatchdogResting);

        Task<int> call;
        using (IpcCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
            call = client.Proxy<ICalculator>().WaitUntilCancelledAsync("rest", CancellationToken.None);

        await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(client.Connection.WatchdogResting);
    }

    /// <summary>
    /// A peer that stops inside a frame after the server's watchdog went to rest (keep-alive off, so nothing else would
    /// tick) is still closed after the partial-frame timeout: the read that ends inside the frame wakes the watchdog.
    /// </summary>
    [Theory]
    [InlineData("pipe")]
    [InlineData("shm")]
    public async Task A_peer_that_stops_inside_a_frame_while_the_watchdog_rests_is_disconnected(string transport)
    {
        var options = new IpcOptions { PartialFrameTimeout = TimeSpan.FromSeconds(1), KeepAliveInterval = Timeout.InfiniteTimeSpan, KeepAliveTimeout = Timeout.InfiniteTimeSpan };
        await using var session = await RawSession.StartAsync(transport, options);
        await Eventually.TrueAsync(() => session.Connection.WatchdogResting);

        var request = RawPeer.Frame(FrameKind.Request, 1, 2, 3, """{"a":1}""");
        await session.Raw.SendAsync(request[..(FrameHeader.Size + 3)]); // the header and three payload bytes, then silence

        Assert.Equal(DisconnectReason.Stalled, (await session.DisconnectedAsync()).Reason);
    }
}
